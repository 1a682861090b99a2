/**
 * Device sign-in for shared screens (shared/API.md v1.1): a page opened with
 * `?access_token=<device token>` gets a session cookie for that token and a redirect to the same
 * URL without the parameter, so the token leaves the address bar and the history. The session
 * ends with the token (revoked or expired) at the latest. The bootstrap token works the same
 * way, for one location and a working day, so an operator can open the admin page before any
 * staff member is in the directory.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { newAuditEntry } from "../../lib/audit/entry.ts";
import { auditActor } from "../../lib/audit/entry.ts";
import { sessionCookie } from "../../lib/auth/oidc/session_cookie.ts";
import { createSession } from "../../lib/auth/sessions.ts";
import { unauthorized } from "../../lib/errors.ts";
import { authError, secureCookies, takeSignInAttempt } from "../pages/auth.ts";
import type { AppEnv } from "../state.ts";
import { countRefusal, resolveLocation } from "./auth.ts";

/** A shared screen's session lasts as long as its token, up to this. */
const DEVICE_SESSION_MAX_MS = 30 * 24 * 60 * 60_000;
/** A shared screen may be off this long (a weekend closed) before it needs its token again. */
const DEVICE_SESSION_IDLE_MS = 4 * 24 * 60 * 60_000;
/** A session opened with the bootstrap token lasts this long. */
const BOOTSTRAP_SESSION_MS = 12 * 60 * 60_000;

/** Turns `?access_token=` on a page (not `/api/`, not `/auth/`) into a session cookie. */
export function deviceSignIn() {
  return createMiddleware<AppEnv>(async function signInDevice(c, next) {
    // API calls (the hot path) pass at the first test, without parsing the query.
    const path = c.req.path;
    if (path.startsWith("/api/") || path.startsWith("/auth/")) return await next();
    const token = c.req.method === "GET" || c.req.method === "HEAD"
      ? c.req.query("access_token")
      : undefined;
    if (token === undefined) return await next();
    try {
      return await signIn(c, token);
    } catch (error) {
      return authError(error as Error, c);
    }
  });
}

async function signIn(c: Context<AppEnv>, token: string): Promise<Response> {
  takeSignInAttempt(c);
  const { kv, auth, config } = c.get("services");
  const principal = await auth.authenticate(token);
  const record = principal?.deviceTokenId
    ? await auth.getDeviceToken(principal.deviceTokenId)
    : null;
  if (!principal || (!record && principal.via !== "bootstrap")) {
    await countRefusal(c, "access_token");
    throw unauthorized(
      "This link's device token is not valid, has expired or was revoked.",
      "invalid_token",
    );
  }
  // The bootstrap token opens a session for one location (`?location=`, else the first), for
  // a working day: the operator's first sign-in before staff are in the directory.
  const locationId = record
    ? record.locationId
    : (await resolveLocation(kv, principal, c.req.query("location"))).id;
  const ttlMs = record
    ? Math.min(Date.parse(record.expiresAt) - Date.now(), DEVICE_SESSION_MAX_MS)
    : BOOTSTRAP_SESSION_MS;
  const entry = newAuditEntry(
    {
      actor: auditActor(principal),
      requestId: c.get("requestId"),
      retentionMs: config.auditRetentionMs,
      feedRetentionMs: config.eventRetentionMs,
    },
    locationId,
    {
      action: "auth.device_sign_in",
      target: record
        ? { type: "device_token", id: record.id }
        : { type: "bootstrap", id: "bootstrap" },
      address: c.get("clientAddress"),
    },
  );
  const { id } = await createSession(kv, {
    principal: record ? principal : { ...principal, locations: [locationId] },
    locationId,
    lifetime: { ttlMs, idleMs: Math.min(DEVICE_SESSION_IDLE_MS, ttlMs) },
    audit: { entry, feedRetentionMs: config.eventRetentionMs },
  });
  const url = new URL(c.req.url);
  url.searchParams.delete("access_token");
  return c.body(null, 303, {
    location: url.pathname + url.search,
    "set-cookie": sessionCookie(id, { secure: secureCookies(c), maxAgeMs: ttlMs }),
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
  });
}
