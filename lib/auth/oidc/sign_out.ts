/** Ending a session (after kv-oauth's `signOut`): server-side, so a replayed cookie is refused. */
import type { AuditContext } from "../../audit/entry.ts";
import { newAuditEntry } from "../../audit/entry.ts";
import type { Principal } from "../principal.ts";
import { revokeSession } from "../sessions.ts";
import { clearedSessionCookie } from "./session_cookie.ts";

/**
 * Ends the principal's session with its `auth.sign_out` entry in the same op, and answers 204
 * with the cookie removed.
 */
export async function signOut(
  kv: Deno.Kv,
  principal: Principal,
  context: AuditContext & { secureCookies: boolean; locationId: string },
): Promise<Response> {
  if (principal.session) {
    const entry = newAuditEntry(context, context.locationId, {
      action: "auth.sign_out",
      target: { type: principal.email ? "staff" : "device_token", id: principal.id },
    });
    await revokeSession(kv, principal.session.id, {
      entry,
      feedRetentionMs: context.feedRetentionMs,
    });
  }
  return new Response(null, {
    status: 204,
    headers: {
      "set-cookie": clearedSessionCookie(context.secureCookies),
      "cache-control": "no-store",
    },
  });
}
