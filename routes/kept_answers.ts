/**
 * The server's handler: kept answers (lib/http/kept_answers.ts) ahead of the application. A
 * request whose answer is kept is answered at once, without the middleware and the route, so
 * what those would have done differently for it must be done here, or the request left to them:
 *
 * - its request id: the client's sane `X-Request-Id`, else a new one (as `requestContext`);
 * - a draining process: the application (which refuses it with 503);
 * - an address refused for guessing credentials, when the request carries one (a table token
 *   in the query, a guest page's token): the application (which refuses it with 429).
 *
 * The rest the key and the eligibility rules carry: headers that differ per request (security,
 * `Vary`, CORS only with `Origin`) were the same for the request that filled the entry.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Services } from "../lib/services.ts";
import { namesCredential } from "./middleware/rate_limits.ts";
import { addressFrom, addressOf, requestIdOf } from "./middleware/request_context.ts";
import type { AppEnv } from "./state.ts";

/** `app.fetch`, with kept answers ahead of it when they are enabled. */
export function serveHandler(
  app: OpenAPIHono<AppEnv>,
  services: Services,
): Deno.ServeHandler<Deno.NetAddr> {
  const { answers, readiness, limits, config } = services;
  const fetch = app.fetch as (
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>;
  if (!answers.enabled) return fetch;
  // A keyed request has no credential header (those make it personal): only its URL can name one.
  const refusedHere = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
    limits.enabled && namesCredential("GET", request.url, () => false) &&
    limits.isOver("failedAuthPerAddress", addressOf(request, info, config.trustProxyHeader));

  return (request, info) => {
    const keyed = answers.keyOf(request);
    if (keyed === null || readiness.phase === "draining") return fetch(request, info);
    const { key } = keyed;
    if (!refusedHere(request, info)) {
      const kept = answers.answer(key, requestIdOf(keyed.requestId));
      if (kept) return kept;
    }
    const answered = fetch(request, info);
    if (answered instanceof Response) {
      answers.consider(key, request, answered);
      return answered;
    }
    return answered.then((response) => {
      answers.consider(key, request, response);
      return response;
    });
  };
}

/** A plain `GET` head as the stream front read it off a socket: headers by lowercase name. */
export interface FrontRequest {
  /** The request target, `/path?query`. */
  target: string;
  headers: readonly [string, string][];
}

/**
 * Kept answers for the stream front (`SEATSERVE_STREAM_FRONT=on`): the whole HTTP/1.1 answer to
 * a `GET` read off a socket, written there without a trip through `Deno.serve`, or null (the
 * front relays the request to the application). The same rules as `serveHandler`'s.
 */
export function frontAnswers(
  services: Services,
):
  | ((request: FrontRequest, socket: Deno.NetAddr) => { bytes: Uint8Array; close: boolean } | null)
  | undefined {
  const { answers, readiness, limits, config } = services;
  if (!answers.enabled) return undefined;
  return (request, socket) => {
    if (readiness.phase === "draining") return null;
    const header = (name: string) => request.headers.find(([n]) => n === name)?.[1];
    const host = header("host");
    if (!host) return null;
    const url = `http://${host}${request.target}`;
    const key = answers.keyFrom(url, header);
    // First whether anything is kept: then the URL is one the application answered (a `Host`
    // that is no host never is).
    if (key === null || !answers.has(key)) return null;
    const refused = limits.enabled &&
      namesCredential("GET", url, (name) => header(name) !== undefined) &&
      limits.isOver("failedAuthPerAddress", addressFrom(header, socket, config.trustProxyHeader));
    if (refused) return null;
    const close =
      header("connection")?.toLowerCase().split(",").some((t) => t.trim() === "close") ??
        false;
    const bytes = answers.answerBytes(key, requestIdOf(header("x-request-id")), close);
    return bytes && { bytes, close };
  };
}
