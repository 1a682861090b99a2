/** CORS for the origins in `SEATSERVE_CORS_ORIGINS` (shared/API.md v1.1); other origins none. */
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../state.ts";

/**
 * Listed origins get CORS headers and a 204 preflight; any other origin gets no CORS header
 * at all (its browser then refuses to hand the answer to the page). Credentials (the session
 * cookie) are allowed for listed origins only, which is why the list is exact.
 */
export function corsForOrigins(origins: readonly string[]) {
  if (!origins.length) {
    return createMiddleware<AppEnv>(async function noCors(_c, next) {
      await next();
    });
  }
  const allowed = new Set(origins.map((origin) => origin.toLowerCase()));
  const handler = cors({
    origin: (origin) => (allowed.has(origin.toLowerCase()) ? origin : null),
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    allowHeaders: [
      "Authorization",
      "Content-Type",
      "Idempotency-Key",
      "If-Match",
      "If-None-Match",
      "Last-Event-ID",
      "X-CSRF-Token",
      "X-Request-Id",
    ],
    exposeHeaders: ["ETag", "Location", "Retry-After", "X-Request-Id", "Idempotent-Replayed"],
    credentials: true,
    maxAge: 600,
  });
  return createMiddleware<AppEnv>(async function corsListed(c, next) {
    const origin = c.req.header("origin");
    if (!origin || !allowed.has(origin.toLowerCase())) return await next();
    return await handler(c, next);
  });
}
