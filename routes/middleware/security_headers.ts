/** Security headers for every answer. */
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../state.ts";

/** The headers of every API answer (JSON or event streams), after OWASP's REST guidance. */
const API_SECURITY_HEADERS: readonly [string, string][] = [
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
  ["Referrer-Policy", "no-referrer"],
];

/**
 * Security headers: pages (docs, and the web UI to come) get Hono's full browser set; API answers,
 * which no browser renders as a document, get the five that matter for them (a locked-down CSP,
 * HSTS, nosniff, no framing, no referrer), which also spares the hot path half a dozen headers.
 */
export function securityHeaders() {
  const forPages = secureHeaders({ crossOriginResourcePolicy: false });
  return createMiddleware<AppEnv>(async function setSecurityHeaders(c, next) {
    if (!c.req.path.startsWith("/api/")) return await forPages(c, next);
    // Before the answer exists, so that Hono builds it with them: changing an answer's headers
    // afterwards costs Deno its fast path. An answer built as a raw `Response` (event streams)
    // gets them afterwards.
    for (const [name, value] of API_SECURITY_HEADERS) c.header(name, value);
    await next();
    if (c.res.headers.has("x-content-type-options")) return;
    for (const [name, value] of API_SECURITY_HEADERS) c.res.headers.set(name, value);
  });
}
