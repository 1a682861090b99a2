/**
 * A request's `Host` must be a host (RFC 9112 §3.2: 400 for an invalid one). `Deno.serve`
 * passes any `Host` through and builds the request's URL from it, so `Host: a b` made every
 * `new URL(request.url)` downstream throw (a 500 anyone could provoke), and `Host: a/b` or
 * `Host: a?b` moved part of the URL into its path or query.
 */
import { createMiddleware } from "hono/factory";
import { badRequest } from "../../lib/errors.ts";
import type { AppEnv } from "../state.ts";

/** A name (letters, digits, `.`, `-`, `_`) or a bracketed IPv6 address, with an optional port. */
const HOST = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

/** Whether `host` (a `Host` header's value) names a host, and the URL built from it parses. */
export function isValidHost(host: string): boolean {
  const match = HOST.exec(host);
  if (!match || (match[1] !== undefined && Number(match[1]) > 65_535)) return false;
  return URL.canParse(`http://${host}/`);
}

/** Refuses a request whose `Host` is not a host with 400 `bad_request`, before anything reads it. */
export function refuseBadHost() {
  // Nearly every request names the same host: the last good one is not parsed again.
  let lastGood = "";
  return createMiddleware<AppEnv>(async function checkHost(c, next) {
    const host = c.req.header("host");
    if (host !== undefined && host !== lastGood) {
      if (!isValidHost(host)) {
        throw badRequest(
          "The Host header must be a host name or address, with an optional port.",
        );
      }
      lastGood = host;
    }
    await next();
  });
}
