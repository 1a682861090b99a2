/**
 * How every page is answered: rendered to HTML on the server, under the pages' CSP, never
 * cached by a shared cache; and the languages the page texts exist in.
 */
import type { Context } from "hono";
import type { JSX } from "preact";
import { renderToString } from "preact-render-to-string";
import { negotiateLanguage } from "../../lib/catalog/i18n.ts";
import type { AppEnv } from "../state.ts";

/** Pages load only our own script and styles, and talk only to us. */
export const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; " +
  "frame-ancestors 'none'";

/** The languages our page texts exist in (lib/pages/*_messages.ts), English first. */
export const PAGE_LANGUAGES = ["en", "de"] as const;

/** The page language for a request: `?lang=`, then `Accept-Language`, then `fallback`. */
export function pageLanguage(c: Context<AppEnv>, fallback = "en"): string {
  const offered = [
    ...new Set([fallback, ...PAGE_LANGUAGES].filter((l) => PAGE_LANGUAGES.includes(l as "en"))),
  ];
  return negotiateLanguage(offered, {
    query: c.req.query("lang"),
    acceptLanguage: c.req.header("accept-language"),
  });
}

/** Answers `body` as a whole HTML document. */
export function renderPage(
  c: Context<AppEnv>,
  body: JSX.Element,
  status: 200 | 401 | 403 | 404 = 200,
): Response {
  c.header("Content-Security-Policy", PAGE_CSP);
  c.header("Cache-Control", "private, no-cache");
  return c.html(`<!DOCTYPE html>${renderToString(body)}`, status);
}
