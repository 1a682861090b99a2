/** Refused credentials, counted per client address and throttled (the failed-auth limit). */
import { createMiddleware } from "hono/factory";
import { AppError } from "../../lib/errors.ts";
import type { AppEnv } from "../state.ts";

/** The refusals that mean "this credential is not one of ours": what guessing produces. */
const REFUSED_CREDENTIALS = new Set([
  "invalid_token",
  "session_expired",
  "invalid_table_token",
  "invalid_order_token",
]);

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Throttles credential guessing: every refused credential (bearer or device token, session,
 * table or order token) counts against the caller's address, and an address over the
 * `failedAuthPerAddress` limit gets 429 for every request that carries a credential until it has
 * cooled down, before the credential is looked at (so guessing learns nothing meanwhile). The
 * guest page `/t/<token>` counts too: its 404 for an unknown token is a refused credential.
 * Requests without one (health, a menu by location) are never refused for it.
 */
export function refusedCredentialGuard() {
  return createMiddleware<AppEnv>(async function guardCredentials(c, next) {
    const { limits } = c.get("services");
    if (!limits.enabled) return await next();
    const address = c.get("clientAddress");
    if (carriesCredential(c.req.raw, c.req.method)) limits.check("failedAuthPerAddress", address);
    await next();
    const error = c.error;
    const refused = (error instanceof AppError && REFUSED_CREDENTIALS.has(error.code)) ||
      // The guest page answers an unknown table token with its own 404 page.
      (c.req.path.startsWith("/t/") && c.res.status === 404);
    if (refused) limits.countFailure("failedAuthPerAddress", address);
  });
}

/** Whether a request names a credential (so an address guessing them is refused it). */
function carriesCredential(request: Request, method: string): boolean {
  return namesCredential(method, request.url, (name) => request.headers.has(name));
}

/** `carriesCredential` from a request's method, URL and which headers it has. */
export function namesCredential(
  method: string,
  url: string,
  has: (header: string) => boolean,
): boolean {
  if (WRITES.has(method)) return true; // a guest's write names its table token in the body
  if (new URL(url).pathname.startsWith("/t/")) return true; // the guest page's token
  if (has("authorization") || has("cookie")) return true;
  const query = url.indexOf("?");
  if (query < 0) return false;
  const params = new URLSearchParams(url.slice(query + 1));
  return params.has("token") || params.has("access_token") || params.has("table");
}
