/** Starting a sign-in: a redirect to the issuer with PKCE, state and nonce (after kv-oauth). */
import * as oauth from "oauth4webapi";
import type { OidcClient } from "./client.ts";
import { SCOPES } from "./client.ts";
import { saveOAuthState } from "./oauth_state.ts";

/** A local path to go to after signing in: `next` when it is one, else `/admin`. */
export function localPath(next: string | undefined | null): string {
  if (!next || next.length > 500 || !next.startsWith("/") || next.startsWith("//")) return "/admin";
  // A backslash or a control character could make a browser read it as another origin.
  // deno-lint-ignore no-control-regex
  if (/[\\\u0000-\u001f]/.test(next)) return "/admin";
  return next;
}

/**
 * Redirects to the issuer's authorization endpoint for a sign-in at `locationId`, keeping the
 * PKCE verifier, nonce and `next` in the store under a fresh `state`.
 */
export async function signIn(
  kv: Deno.Kv,
  client: OidcClient,
  request: { locationId: string; next?: string },
): Promise<Response> {
  const server = await client.server();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  await saveOAuthState(kv, state, {
    codeVerifier,
    nonce,
    locationId: request.locationId,
    next: localPath(request.next),
  });
  const url = new URL(server.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: client.config.clientId,
    redirect_uri: client.config.redirectUrl,
    response_type: "code",
    scope: SCOPES,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
  }).toString();
  return new Response(null, {
    status: 302,
    headers: { location: url.href, "cache-control": "no-store" },
  });
}
