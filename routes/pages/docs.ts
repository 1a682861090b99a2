/**
 * `GET /docs`: the API reference, Swagger UI over `/openapi.json`, with "try it" against this
 * server. Its files come from the npm package and are served by us (`/docs/assets/<version>/…`,
 * cached a year): kitchens and CI have no internet. The page's CSP allows only our own scripts
 * and calls to us; Swagger UI styles elements inline, so styles may be inline.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import "swagger-ui-dist";
import { fileURLToPath } from "node:url";
import { notFound } from "../../lib/errors.ts";
import type { AppEnv } from "../state.ts";
import { immutableFile } from "./immutable.ts";

const VERSION = "5.35.0";
const BASE = `/docs/assets/${VERSION}`;

export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; " +
  "form-action 'self'; frame-ancestors 'none'";

/** The files the page loads, from the package, and our own starter. */
const FILES: Record<string, { url: string; type: string }> = {
  "swagger-ui-bundle.js": {
    url: import.meta.resolve("swagger-ui-dist/swagger-ui-bundle.js"),
    type: "text/javascript; charset=UTF-8",
  },
  "swagger-ui.css": {
    url: import.meta.resolve("swagger-ui-dist/swagger-ui.css"),
    type: "text/css; charset=UTF-8",
  },
  "init.js": {
    url: new URL("../../static/docs_init.js", import.meta.url).href,
    type: "text/javascript; charset=UTF-8",
  },
};

const loaded = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

function file(name: string): Promise<Uint8Array<ArrayBuffer>> | undefined {
  const entry = FILES[name];
  if (!entry) return undefined;
  let bytes = loaded.get(name);
  if (!bytes) {
    bytes = Deno.readFile(fileURLToPath(entry.url));
    loaded.set(name, bytes);
  }
  return bytes;
}

export const docs = new Hono<AppEnv>()
  .get("/docs", (c) => {
    c.header("Content-Security-Policy", DOCS_CSP);
    return c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>SeatServe API</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${BASE}/swagger-ui.css">
  </head>
  <body>
    <noscript>The reference needs JavaScript; the description itself is <a href="/openapi.json">/openapi.json</a>.</noscript>
    <div id="api"></div>
    <script src="${BASE}/swagger-ui-bundle.js"></script>
    <script src="${BASE}/init.js"></script>
  </body>
</html>`);
  })
  .get(`${BASE}/:name`, async (c) => {
    const bytes = await file(c.req.param("name"));
    if (!bytes) throw notFound(`File "${c.req.param("name").slice(0, 80)}"`);
    return immutableFile(c, { bytes, type: FILES[c.req.param("name")].type });
  });
