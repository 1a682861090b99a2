/**
 * The sign-in pages a browser is redirected through (shared/API.md v1.1): `GET /auth/signin`
 * to the issuer, `GET /auth/callback` back with a session cookie, `POST /auth/signout`. Their
 * refusals are a small HTML page for a browser and the contract's error body otherwise.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { html } from "hono/html";
import { firstLocation, getLocationBySlug } from "../../lib/catalog/locations.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { handleCallback } from "../../lib/auth/oidc/handle_callback.ts";
import { localPath, signIn } from "../../lib/auth/oidc/sign_in.ts";
import { signOut } from "../../lib/auth/oidc/sign_out.ts";
import { clearedSessionCookie, getSessionId } from "../../lib/auth/oidc/session_cookie.ts";
import { AUDIT_SERVER_SCOPE, auditActor } from "../../lib/audit/entry.ts";
import { readSession } from "../../lib/auth/sessions.ts";
import { forbidden } from "../../lib/errors.ts";
import { errorResponse, handleError } from "../error_response.ts";
import { servedOverHttps } from "../middleware/request_context.ts";
import type { AppEnv } from "../state.ts";
import type { OidcClient } from "../../lib/auth/oidc/client.ts";

/** Whether session cookies get `Secure` and `__Host-`: the request came over https. */
export function secureCookies(c: Context<AppEnv>): boolean {
  return servedOverHttps(c);
}

/** Takes a sign-in attempt from the caller's address; 429 over the limit. */
export function takeSignInAttempt(c: Context<AppEnv>): void {
  c.get("services").limits.take("signInPerAddress", c.get("clientAddress"));
}

export const authPages = new Hono<AppEnv>()
  .get("/signin", async (c) => {
    takeSignInAttempt(c);
    const { kv } = c.get("services");
    const oidc = configured(c);
    const slug = c.req.query("location");
    const location = slug
      ? slug.length <= 64 ? await getLocationBySlug(kv, slug) : null
      : await firstLocation(kv);
    if (!location) throw notFound(slug ? `Location "${slug.slice(0, 64)}"` : "Location");
    return await signIn(kv, oidc, { locationId: location.id, next: c.req.query("next") });
  })
  .get("/callback", async (c) => {
    takeSignInAttempt(c);
    const { kv, config } = c.get("services");
    const signedIn = await handleCallback(c.req.raw, {
      kv,
      client: configured(c),
      lifetime: { ttlMs: config.sessionTtlMs, idleMs: config.sessionIdleMs },
      secureCookies: secureCookies(c),
      requestId: c.get("requestId"),
      address: c.get("clientAddress"),
      auditRetentionMs: config.auditRetentionMs,
      feedRetentionMs: config.eventRetentionMs,
    });
    return signedIn.response;
  })
  .post("/signout", async (c) => {
    const { kv, auth, config } = c.get("services");
    const sent = await signOutRequest(c);
    // A plain HTML form (the staff pages' "Sign out") goes back to the page it came from,
    // which then offers signing in again; a script gets 204.
    const done = (response: Response) => {
      if (!sent.form) return response;
      const headers = new Headers(response.headers);
      headers.set("location", localPath(sent.next));
      return new Response(null, { status: 303, headers });
    };
    const cleared = () =>
      done(c.body(null, 204, {
        "set-cookie": clearedSessionCookie(secureCookies(c)),
        "cache-control": "no-store",
      }));
    const sessionId = getSessionId(c.req.raw);
    if (sessionId === undefined) return cleared();
    const principal = await auth.authenticateSession(sessionId);
    if (!principal) return cleared();
    if (sent.csrfToken !== principal.session?.csrfToken) {
      throw forbidden("Send the session's X-CSRF-Token with this request.", "csrf_failed");
    }
    const session = await readSession(kv, sessionId);
    return done(
      await signOut(kv, principal, {
        actor: auditActor(principal),
        requestId: c.get("requestId"),
        retentionMs: config.auditRetentionMs,
        feedRetentionMs: config.eventRetentionMs,
        secureCookies: secureCookies(c),
        locationId: session?.locationId ?? AUDIT_SERVER_SCOPE,
      }),
    );
  })
  .onError((error, c) => authError(error, c));

/** A refusal of a page route: a small page for a browser, the error body for anything else. */
export function authError(error: Error, c: Context<AppEnv>): Response {
  const response = error instanceof AppError ? errorResponse(c, error) : handleError(error, c);
  if (!(c.req.header("accept") ?? "").includes("text/html")) return response;
  const message = error instanceof AppError ? error.message : "Something went wrong on our side.";
  const page = html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>SeatServe sign-in</title>
      </head>
      <body>
        <main>
          <h1>Sign-in</h1>
          <p>${message}</p>
          <p><a href="/auth/signin">Start again</a></p>
        </main>
      </body>
    </html>
  `;
  const headers = new Headers(response.headers);
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(page.toString(), { status: response.status, headers });
}

/**
 * What a sign-out sent: the CSRF token (the header, or a plain HTML form's `csrfToken` field)
 * and, from a form, the page to go back to (`next`).
 */
async function signOutRequest(
  c: Context<AppEnv>,
): Promise<{ csrfToken?: string; form: boolean; next?: string }> {
  const header = c.req.header("x-csrf-token");
  if (!(c.req.header("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) {
    return { csrfToken: header, form: false };
  }
  const form = await c.req.parseBody().catch(() => ({} as Record<string, unknown>));
  return {
    csrfToken: header ?? (typeof form.csrfToken === "string" ? form.csrfToken : undefined),
    form: true,
    next: typeof form.next === "string" ? form.next : undefined,
  };
}

function configured(c: Context<AppEnv>): OidcClient {
  const oidc = c.get("services").oidc;
  if (!oidc) {
    throw new AppError(
      "not_found",
      "sign_in_not_configured",
      "Staff sign-in is not configured on this server (OIDC_ISSUER, OIDC_CLIENT_ID and " +
        "OIDC_CLIENT_SECRET are not set). Device tokens and the bootstrap token still work.",
    );
  }
  return oidc;
}
