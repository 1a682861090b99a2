/** Middleware: services injection, body guard, and staff authentication. */
import { getCookie } from "hono/cookie";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { Principal } from "../../lib/auth/tokens.ts";
import {
  forbidden,
  notFound,
  payloadTooLarge,
  unauthorized,
  unsupportedMediaType,
} from "../../lib/errors.ts";
import { firstLocation, getLocation, getLocationBySlug } from "../../lib/catalog/locations.ts";
import { can, type Permission } from "../../lib/auth/roles.ts";
import type { Location } from "../../lib/schemas.ts";
import type { Services } from "../../lib/services.ts";
import type { AppEnv } from "../state.ts";

/** The cookie a signed-in staff browser carries (its value is a staff token). */
export const SESSION_COOKIE = "seatserve_session";

/** Makes the services available to every handler. */
export function withServices(services: Services) {
  return createMiddleware<AppEnv>(async function injectServices(c, next) {
    c.set("services", services);
    await next();
  });
}

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
    await next();
    for (const [name, value] of API_SECURITY_HEADERS) c.res.headers.set(name, value);
  });
}

/**
 * Guards request bodies before anything reads them: a write must declare a JSON body (415) and
 * stay within `maxBytes` (413, also when streamed without a length). Malformed JSON is a 400 from
 * the validator that parses it.
 */
export function jsonBodyGuard(options: { maxBytes: number }) {
  const limit = bodyLimit({
    maxSize: options.maxBytes,
    onError: () => {
      throw payloadTooLarge(options.maxBytes);
    },
  });
  return createMiddleware<AppEnv>(async function guardJsonBody(c, next) {
    const method = c.req.method;
    if (method !== "POST" && method !== "PATCH" && method !== "PUT") return await next();
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") throw unsupportedMediaType();
    await limit(c, next);
  });
}

/** Options of `staffOnly`. */
export interface StaffOptions {
  /** Accept `?access_token=` (for `EventSource`, which cannot send headers). */
  allowQueryToken?: boolean;
  /**
   * The route acts on no single location (`/locations`), so it must work on a store that has
   * none yet: the owner creates the first one there when the demo is not seeded.
   */
  noLocation?: boolean;
}

/**
 * Requires a staff token holding `permission`, and resolves the location the call acts on
 * (`?location=<slug>` for tokens of several locations; else the token's own, or the first).
 */
export function staffOnly(permission: Permission, options: StaffOptions = {}) {
  return createMiddleware<AppEnv>(async function requireStaff(c, next) {
    const services = c.get("services");
    const token = bearerToken(c.req.header("authorization")) ??
      getCookie(c, SESSION_COOKIE) ??
      (options.allowQueryToken ? c.req.query("access_token") : undefined);
    if (!token) throw unauthorized("Send a staff token as `Authorization: Bearer <token>`.");
    const principal = await services.auth.authenticate(token);
    if (!principal) {
      throw unauthorized("This token is not valid, has expired or was revoked.", "invalid_token");
    }
    if (!can(principal.role, permission)) throw forbidden();
    c.set("principal", principal);
    if (!options.noLocation) {
      const slug = c.req.query("location") || undefined; // `?location=` is no choice
      c.set("location", await resolveLocation(services.kv, principal, slug));
    }
    await next();
  });
}

/** The location a principal acts on, honouring `?location=<slug>`. */
export async function resolveLocation(
  kv: Deno.Kv,
  principal: Principal,
  slug: string | undefined,
): Promise<Location> {
  if (slug !== undefined) {
    const location = slug.length <= 64 ? await getLocationBySlug(kv, slug) : null;
    if (!location) throw notFound(`Location "${slug.slice(0, 64)}"`);
    if (!mayActOn(principal, location.id)) {
      throw forbidden("Your token is not valid for this location.");
    }
    return location;
  }
  const location = principal.locations === "all"
    ? await firstLocation(kv)
    : await getLocation(kv, principal.locations[0]);
  if (!location) throw notFound("Location");
  return location;
}

/** Whether a principal may act on a location. */
export function mayActOn(principal: Principal, locationId: string): boolean {
  return principal.locations === "all" || principal.locations.includes(locationId);
}

/** The staff identity recorded in an order's history. */
export function actor(principal: Principal): string {
  return `${principal.role}:${principal.tokenId}`;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (header && !match) throw unauthorized("Use `Authorization: Bearer <token>`.");
  return match?.[1];
}
