/** Requests that arrive once the process is stopping. */
import { createMiddleware } from "hono/factory";
import { unavailable } from "../../lib/errors.ts";
import type { AppEnv } from "../state.ts";

/**
 * Once the process drains (SIGTERM, SIGINT), a request that starts is answered 503
 * `shutting_down` with `Connection: close` before it reads or writes anything; requests already
 * running finish and are answered (`lib/server/serve.ts` waits for them). Health still answers
 * (live, not ready), so an orchestrator sees the drain.
 */
export function refuseWhileDraining() {
  return createMiddleware<AppEnv>(async function whileDraining(c, next) {
    if (c.get("services").readiness.phase !== "draining") return await next();
    // Health answers for orchestrators throughout: live, and not ready.
    if (c.req.path.startsWith("/api/health")) return await next();
    c.header("Connection", "close");
    throw unavailable(
      "The server is restarting; try again in a moment.",
      2,
      "shutting_down",
    );
  });
}
