/** Security headers for every answer. */
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../state.ts";
import { servedOverHttps } from "./request_context.ts";

/** HSTS, sent only over https (RFC 6797 §7.2: not over plain http, where it means nothing). */
const HSTS: [string, string] = ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"];

/** The headers of every API answer (JSON or event streams), after OWASP's REST guidance. */
const API_SECURITY_HEADERS: readonly [string, string][] = [
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
  ["Referrer-Policy", "no-referrer"],
];
const API_SECURITY_HEADERS_HTTPS: readonly [string, string][] = [...API_SECURITY_HEADERS, HSTS];

/**
 * Security headers: pages (docs, and the web UI to come) get Hono's full browser set; API answers,
 * which no browser renders as a document, get the five that matter for them (a locked-down CSP,
 * HSTS over https, nosniff, no framing, no referrer), which also spares the hot path half a
 * dozen headers.
 */
export function securityHeaders() {
  const forPagesHttps = secureHeaders({ crossOriginResourcePolicy: false });
  const forPagesHttp = secureHeaders({
    crossOriginResourcePolicy: false,
    strictTransportSecurity: false,
  });
  return createMiddleware<AppEnv>(async function setSecurityHeaders(c, next) {
    const https = servedOverHttps(c);
    if (!c.req.path.startsWith("/api/")) {
      return await (https ? forPagesHttps : forPagesHttp)(c, next);
    }
    const headers = https ? API_SECURITY_HEADERS_HTTPS : API_SECURITY_HEADERS;
    // Before the answer exists, so that Hono builds it with them: changing an answer's headers
    // afterwards costs Deno its fast path. An answer built as a raw `Response` (event streams)
    // gets them afterwards.
    for (const [name, value] of headers) c.header(name, value);
    await next();
    if (c.res.headers.has("x-content-type-options")) return;
    for (const [name, value] of headers) c.res.headers.set(name, value);
  });
}
