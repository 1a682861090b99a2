/**
 * Finishing a sign-in (after kv-oauth's `handleCallback`): take the sign-in's state (once), let
 * `oauth4webapi` check the answer, exchange the code with the PKCE verifier and validate the id
 * token (issuer, audience, expiry, nonce, signature), then look the email up in the location's
 * staff directory and open a session, with its audit entry in the same op. Any failure is a 4xx,
 * opens no session and is recorded as `auth.sign_in_failed`.
 */
import * as oauth from "oauth4webapi";
import { AUDIT_SERVER_SCOPE, type AuditContext, newAuditEntry } from "../../audit/entry.ts";
import { countAuditEvent, recordAuditEvent } from "../../audit/log.ts";
import { AppError, badRequest, forbidden, unauthorized, unavailable } from "../../errors.ts";
import type { Principal } from "../principal.ts";
import { createSession, type SessionLifetime } from "../sessions.ts";
import { getStaffMember, normalEmail } from "../staff.ts";
import type { OidcClient } from "./client.ts";
import { takeOAuthState } from "./oauth_state.ts";
import { sessionCookie } from "./session_cookie.ts";

/** What a callback needs besides the request. */
export interface CallbackContext {
  kv: Deno.Kv;
  client: OidcClient;
  lifetime: SessionLifetime;
  secureCookies: boolean;
  requestId: string;
  address: string;
  auditRetentionMs: number;
  feedRetentionMs: number;
}

/** A finished sign-in: the redirect to `next` with the session cookie, and who signed in. */
export interface SignedIn {
  response: Response;
  sessionId: string;
  principal: Principal;
}

/** Handles the issuer's redirect back to `/auth/callback`. */
export async function handleCallback(
  request: Request,
  context: CallbackContext,
): Promise<SignedIn> {
  const { kv, client } = context;
  const url = new URL(request.url);
  const stateParam = url.searchParams.get("state") ?? "";
  const state = stateParam ? await takeOAuthState(kv, stateParam) : null;
  const anonymous = (id: string): AuditContext => ({
    actor: { type: "anonymous", id },
    requestId: context.requestId,
    retentionMs: context.auditRetentionMs,
    feedRetentionMs: context.feedRetentionMs,
  });
  if (!state) {
    // Nobody's sign-in: counted per address and minute, so guessing cannot fill the log.
    await countAuditEvent(kv, anonymous("unknown"), AUDIT_SERVER_SCOPE, {
      action: "auth.sign_in_failed",
      target: { type: "sign_in", id: "unknown" },
      after: { reason: "invalid_state" },
      address: context.address,
    });
    throw badRequest(
      "This sign-in link has expired or was already used; start the sign-in again.",
      "invalid_state",
    );
  }
  let email = "unknown";
  try {
    const identity = await exchange(client, url, { ...state, state: stateParam });
    email = identity.email;
    const member = await getStaffMember(kv, state.locationId, email);
    if (!member) {
      throw forbidden(
        `${email} is not in this restaurant's staff directory; ask a manager to add you.`,
        "not_in_directory",
      );
    }
    const principal: Principal = {
      role: member.role,
      via: "session",
      id: member.email,
      locations: [state.locationId],
      label: member.name ?? member.email,
      email: member.email,
    };
    const entry = newAuditEntry(
      {
        actor: { type: "session", id: member.email, role: member.role, email: member.email },
        requestId: context.requestId,
        retentionMs: context.auditRetentionMs,
        feedRetentionMs: context.feedRetentionMs,
      },
      state.locationId,
      {
        action: "auth.sign_in",
        target: { type: "staff", id: member.email },
        address: context.address,
      },
    );
    const { id } = await createSession(kv, {
      principal,
      locationId: state.locationId,
      lifetime: context.lifetime,
      audit: { entry, feedRetentionMs: context.feedRetentionMs },
    });
    const response = new Response(null, {
      status: 303,
      headers: {
        location: state.next,
        "set-cookie": sessionCookie(id, {
          secure: context.secureCookies,
          maxAgeMs: context.lifetime.ttlMs,
        }),
        "cache-control": "no-store",
      },
    });
    return { response, sessionId: id, principal };
  } catch (error) {
    const refusal = asRefusal(error);
    await recordAuditEvent(kv, anonymous(email), state.locationId, {
      action: "auth.sign_in_failed",
      target: { type: "staff", id: email },
      after: { reason: refusal.code },
      address: context.address,
    });
    throw refusal;
  }
}

/** The code exchanged, the id token validated; its email (lower case) and name. */
async function exchange(
  client: OidcClient,
  url: URL,
  state: { codeVerifier: string; nonce: string; state: string },
): Promise<{ email: string; name?: string }> {
  const server = await client.server();
  const params = oauth.validateAuthResponse(server, client.client, url.searchParams, state.state);
  const response = await oauth.authorizationCodeGrantRequest(
    server,
    client.client,
    client.clientAuth,
    params,
    client.config.redirectUrl,
    state.codeVerifier,
    client.requestOptions,
  );
  const result = await oauth.processAuthorizationCodeResponse(server, client.client, response, {
    expectedNonce: state.nonce,
    requireIdToken: true,
  });
  await oauth.validateApplicationLevelSignature(server, response, client.requestOptions);
  const claims = oauth.getValidatedIdTokenClaims(result)!;
  if (typeof claims.email !== "string" || !claims.email) {
    throw unauthorized(
      "The identity provider did not say which email you signed in with.",
      "sign_in_failed",
    );
  }
  if (claims.email_verified === false) {
    throw unauthorized("Your email is not verified at the identity provider.", "sign_in_failed");
  }
  return {
    email: normalEmail(claims.email),
    ...(typeof claims.name === "string" ? { name: claims.name } : {}),
  };
}

/** A failure as the client sees it: ours as they are, the protocol's as a 401. */
function asRefusal(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (
    error instanceof oauth.AuthorizationResponseError ||
    error instanceof oauth.ResponseBodyError ||
    error instanceof oauth.OperationProcessingError ||
    error instanceof oauth.WWWAuthenticateChallengeError
  ) {
    const detail = error instanceof oauth.AuthorizationResponseError
      ? error.error
      : error instanceof oauth.ResponseBodyError
      ? error.error
      : (error as Error).message;
    return unauthorized(`Sign-in failed: ${String(detail).slice(0, 200)}`, "sign_in_failed");
  }
  console.error("[oidc] callback failed:", error);
  return unavailable("The sign-in provider cannot be reached; try again.", 5, "oidc_unavailable");
}
