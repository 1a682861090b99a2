/** The guard in front of every request body. */
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { tooLarge, unsupportedMediaType } from "../../lib/errors.ts";
import type { AppEnv } from "../state.ts";

/**
 * Guards request bodies before anything reads them: a write must declare a JSON body (415) and
 * stay within `maxBytes` (413, also when streamed without a length). Malformed JSON is a 400 from
 * the validator that parses it.
 */
export function jsonBodyGuard(options: { maxBytes: number }) {
  const limit = bodyLimit({
    maxSize: options.maxBytes,
    onError: () => {
      throw tooLarge(`The request body is larger than ${options.maxBytes} bytes.`);
    },
  });
  return createMiddleware<AppEnv>(async function guardJsonBody(c, next) {
    const method = c.req.method;
    if (method !== "POST" && method !== "PATCH" && method !== "PUT") return await next();
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    // An action that takes no body (`POST /tables/{id}/rotate-token`, `.../ack`) is sent without one.
    if (!type && BODYLESS.test(c.req.path) && !hasBody(c.req.raw)) return await next();
    if (type !== "application/json") throw unsupportedMediaType();
    await limit(c, next);
  });
}

/** The writes that take no body (a token rotation, an acknowledgement, a close, a bump). */
const BODYLESS = /\/(?:rotate-token|lines\/[^/]+\/ready|ack|visit\/close)$/;

/** Whether a request says it carries a body. */
function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  return (length !== null && length !== "0") || request.headers.has("transfer-encoding");
}
