/**
 * Staff authentication in three steps: `authenticate` (bearer token, session cookie or, for
 * event streams, `?access_token=` → a principal), `authorize` (a permission, else 403), and
 * `resolveLocation` (the location the call acts on). `staff(permission)` runs all three.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { mayActOn, type Principal } from "../../lib/auth/principal.ts";
import { can, type Permission } from "../../lib/auth/roles.ts";
import { forbidden, notFound, unauthorized } from "../../lib/errors.ts";
import { firstLocation, getLocation, getLocationBySlug } from "../../lib/catalog/locations.ts";
import type { Location } from "../../lib/schemas.ts";
import { type AuditContext, auditContext } from "../../lib/audit/entry.ts";
import type { CatalogScope } from "../../lib/catalog/service.ts";
import type { AppEnv, StaffEnv } from "../state.ts";
import { AUDIT_SERVER_SCOPE } from "../../lib/audit/entry.ts";
import { countAuditEvent } from "../../lib/audit/log.ts";
import {
  getSessionId,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
} from "../../lib/auth/oidc/session_cookie.ts";

export { SECURE_SESSION_COOKIE, SESSION_COOKIE };

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Options of `authenticate`. */
export interface AuthenticateOptions {
  /** Accept `?access_token=` (for `EventSource`, which cannot send headers). */
  allowQueryToken?: boolean;
}

/**
 * Who is calling, or null when the request carries no staff credential. A credential that is
 * sent but not accepted is a 401, and a session-authenticated state change without the session's
 * CSRF token a 403: neither falls back to "anonymous".
 */
export async function authenticate(
  c: Context<AppEnv>,
  options: AuthenticateOptions = {},
): Promise<Principal | null> {
  const { auth } = c.get("services");
  const bearer = bearerToken(c.req.header("authorization")) ??
    (options.allowQueryToken ? c.req.query("access_token") : undefined);
  if (bearer !== undefined) {
    const principal = await auth.authenticate(bearer);
    if (!principal) {
      await countRefusal(c, "bearer");
      throw unauthorized("This token is not valid, has expired or was revoked.", "invalid_token");
    }
    return principal;
  }
  const sessionId = getSessionId(c.req.raw);
  if (sessionId === undefined) return null;
  const principal = await auth.authenticateSession(sessionId);
  if (!principal) {
    await countRefusal(c, "session");
    throw unauthorized("Your session has ended; sign in again.", "session_expired");
  }
  if (
    STATE_CHANGING.has(c.req.method) &&
    c.req.header("x-csrf-token") !== principal.session?.csrfToken
  ) {
    throw forbidden("Send the session's X-CSRF-Token with this request.", "csrf_failed");
  }
  return principal;
}

/**
 * Counts a refused credential into its address's `auth.credential_refused` entry of this minute
 * (server-wide: a refused credential names no location we could trust).
 */
export async function countRefusal(c: Context<AppEnv>, credential: string): Promise<void> {
  const { kv, config } = c.get("services");
  const address = c.get("clientAddress");
  await countAuditEvent(
    kv,
    {
      actor: { type: "anonymous", id: address },
      requestId: c.get("requestId"),
      retentionMs: config.auditRetentionMs,
      feedRetentionMs: config.eventRetentionMs,
    },
    AUDIT_SERVER_SCOPE,
    {
      action: "auth.credential_refused",
      target: { type: "credential", id: credential },
      address,
    },
  );
}

/** The principal, if it holds `permission`: 401 without one, 403 without the permission. */
export function authorize(principal: Principal | null, permission: Permission): Principal {
  if (!principal) throw unauthorized("Send a staff token as `Authorization: Bearer <token>`.");
  if (!can(principal.role, permission)) throw forbidden();
  return principal;
}

/** The location a principal acts on, honouring `?location=<slug>` (empty means none). */
export async function resolveLocation(
  kv: Deno.Kv,
  principal: Principal,
  slug: string | undefined,
): Promise<Location> {
  if (slug) {
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

/** Options of `staff`. */
export interface StaffOptions extends AuthenticateOptions {
  /**
   * The route acts on no single location (`/locations`), so it must work on a store that has
   * none yet: the owner creates the first one there when the demo is not seeded.
   */
  noLocation?: boolean;
}

/**
 * Requires a staff credential holding `permission`, and resolves the location the call acts on
 * (`?location=<slug>` for tokens of several locations; else the token's own, or the first).
 */
export function staff(permission: Permission, options: StaffOptions = {}) {
  return createMiddleware<StaffEnv>(async function requireStaff(c, next) {
    const anyContext = c as unknown as Context<AppEnv>;
    const principal = authorize(await authenticate(anyContext, options), permission);
    c.set("principal", principal);
    if (!options.noLocation) {
      c.set(
        "location",
        await resolveLocation(c.get("services").kv, principal, c.req.query("location")),
      );
    }
    await next();
  });
}

/** Who acts, in which request and on which location, in a staff request. */
export function scopeOf(c: Context<StaffEnv>): CatalogScope {
  return {
    by: c.get("principal"),
    requestId: c.get("requestId"),
    locationId: c.get("location").id,
  };
}

/** The audit context of a staff request: its principal as the actor, its request id. */
export function auditOf(c: Context<StaffEnv>): AuditContext {
  return auditContext(c.get("principal"), {
    requestId: c.get("requestId"),
    retentionMs: c.get("services").config.auditRetentionMs,
    feedRetentionMs: c.get("services").config.eventRetentionMs,
  });
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (header && !match) throw unauthorized("Use `Authorization: Bearer <token>`.");
  return match?.[1];
}
