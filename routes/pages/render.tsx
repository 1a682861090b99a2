/**
 * How every page is answered: rendered to HTML on the server, under the pages' CSP, never
 * cached by a shared cache, compressed for clients that take it; and the languages the page
 * texts exist in.
 */
import type { Context } from "hono";
import type { JSX } from "preact";
import { renderToString } from "preact-render-to-string";
import { negotiateLanguage } from "../../lib/catalog/i18n.ts";
import { chooseCoding, compressedBody } from "../../lib/http/precompressed.ts";
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
  return pageResponse(c, renderDocument(body), status, ["Accept-Language", "Cookie"]);
}

/** `body` rendered as a whole HTML document, as bytes (to answer, or to keep and answer again). */
export function renderDocument(body: JSX.Element): Uint8Array {
  return encoder.encode(`<!DOCTYPE html>${renderToString(body)}`);
}

/**
 * Answers a rendered document. Its compressed forms are kept as long as `html` is, so a page
 * rendered once and kept (the guest page, per menu and table) is compressed once.
 */
export function pageResponse(
  c: Context<AppEnv>,
  html: Uint8Array,
  status: 200 | 401 | 403 | 404 = 200,
  /** The request headers besides Accept-Encoding that chose this document. */
  varies: string[] = [],
  /**
   * For a page that is the same for everyone asking alike: while this holds, the next identical
   * request gets the same answer from memory (lib/http/kept_answers.ts).
   */
  keepWhile?: () => boolean,
): Response {
  c.header("Content-Type", "text/html; charset=UTF-8");
  c.header("Content-Security-Policy", PAGE_CSP);
  c.header("Cache-Control", "private, no-cache");
  c.header("Vary", [...varies, "Accept-Encoding"].join(", "));
  const coding = chooseCoding(c.req.header("accept-encoding"));
  const bytes = coding ? compressedBody(html, coding) : html as Uint8Array<ArrayBuffer>;
  if (coding) c.header("Content-Encoding", coding);
  if (keepWhile && status === 200) c.get("services").answers.keep(c.req.raw, bytes, keepWhile);
  return c.body(bytes, status);
}

const encoder = new TextEncoder();
