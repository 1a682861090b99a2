/**
 * A sign-in in flight, kept in the store between the redirect to the issuer and its callback:
 * the PKCE verifier, the nonce, the location and where to go next, under its `state`. It expires
 * after ten minutes and is taken once: a replayed callback finds nothing.
 */
import { oauthStateKey } from "../../kv/keys.ts";

/** What is kept of a sign-in in flight. */
export interface OAuthState {
  codeVerifier: string;
  nonce: string;
  locationId: string;
  /** The local path to go to after signing in. */
  next: string;
  expiresAt: number;
}

/** How long a sign-in may take at the issuer. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

/** Keeps a sign-in in flight under `state`. */
export async function saveOAuthState(
  kv: Deno.Kv,
  state: string,
  value: Omit<OAuthState, "expiresAt">,
): Promise<void> {
  const record: OAuthState = { ...value, expiresAt: Date.now() + OAUTH_STATE_TTL_MS };
  await kv.set(oauthStateKey(state), record, { expireIn: OAUTH_STATE_TTL_MS });
}

/** Takes the sign-in in flight under `state` (once: it is deleted), or null. */
export async function takeOAuthState(kv: Deno.Kv, state: string): Promise<OAuthState | null> {
  if (state.length > 200) return null;
  const key = oauthStateKey(state);
  const entry = await kv.get<OAuthState>(key);
  if (!entry.value || entry.value.expiresAt <= Date.now()) return null;
  // Checked, so of two callbacks racing with one state only one takes it.
  const taken = await kv.atomic().check(entry).delete(key).commit();
  return taken.ok ? entry.value : null;
}
