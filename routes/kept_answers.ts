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
import { carriesCredential } from "./middleware/rate_limits.ts";
import { addressOf, requestIdOf } from "./middleware/request_context.ts";
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
  const refusedHere = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
    limits.enabled && carriesCredential(request, "GET") &&
    limits.isOver("failedAuthPerAddress", addressOf(request, info, config.trustProxyHeader));

  return (request, info) => {
    const key = answers.keyOf(request);
    if (key === null || readiness.phase === "draining") return fetch(request, info);
    if (!refusedHere(request, info)) {
      const kept = answers.answer(key, requestIdOf(request.headers.get("x-request-id")));
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
