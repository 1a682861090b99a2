/**
 * The session cookie: an opaque session id, `HttpOnly`, `SameSite=Lax`, and over https `Secure`
 * with the `__Host-` prefix (pinned to this origin, path `/`).
 */
import { parse, serialize } from "hono/utils/cookie";

/** The cookie a signed-in staff browser carries (over http). */
export const SESSION_COOKIE = "seatserve_session";
/** The same cookie over https, where the `__Host-` prefix pins it to this origin. */
export const SECURE_SESSION_COOKIE = "__Host-seatserve_session";

/** The session id a request carries, or undefined (after kv-oauth's `getSessionId`). */
export function getSessionId(request: Request): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  const cookies = parse(header);
  return cookies[SECURE_SESSION_COOKIE] ?? cookies[SESSION_COOKIE];
}

/** The `Set-Cookie` value that stores a session id for `maxAgeMs`. */
export function sessionCookie(id: string, options: { secure: boolean; maxAgeMs: number }): string {
  const maxAge = Math.max(1, Math.floor(options.maxAgeMs / 1000));
  return options.secure
    ? serialize(SECURE_SESSION_COOKIE, id, {
      path: "/",
      secure: true,
      httpOnly: true,
      sameSite: "Lax",
      maxAge,
    })
    : serialize(SESSION_COOKIE, id, { path: "/", httpOnly: true, sameSite: "Lax", maxAge });
}

/** The `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return secure
    ? serialize(SECURE_SESSION_COOKIE, "", {
      path: "/",
      secure: true,
      httpOnly: true,
      sameSite: "Lax",
      maxAge: 0,
    })
    : serialize(SESSION_COOKIE, "", { path: "/", httpOnly: true, sameSite: "Lax", maxAge: 0 });
}
