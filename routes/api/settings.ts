/** A location's kitchen and floor settings (managers and owners). */
import { auditHook } from "../../lib/audit/hook.ts";
import { auditOf } from "../middleware/auth.ts";
import {
  getSettings,
  SettingsSchema,
  updateSettings,
  UpdateSettingsInput,
} from "../../lib/kitchen/settings.ts";
import {
  errorResponses,
  jsonBody,
  jsonResponse,
  router,
  staffQuery,
  staffRoute,
} from "../openapi.ts";

export const settings = router()
  .openapi(
    staffRoute("settings.manage", {
      method: "get",
      path: "/settings",
      tags: ["settings"],
      summary: "The location's settings",
      request: { query: staffQuery() },
      responses: {
        200: jsonResponse(SettingsSchema, "The settings (defaults for those never changed)."),
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const { kv } = c.get("services");
      return c.json(await getSettings(kv, c.get("location").id), 200);
    },
  )
  .openapi(
    staffRoute("settings.manage", {
      method: "patch",
      path: "/settings",
      tags: ["settings"],
      summary: "Change the location's settings",
      description: "Only the fields sent change. The change is on the feed (a `settings` change) " +
        "and new orders follow it at once: `orderingPaused` refuses them (409 " +
        "`ordering_paused` with `pausedMessage`), `autoAccept` creates them `queued`, " +
        "`maxOpenOrders` pushes their `estimatedReadyAt` out.",
      request: { query: staffQuery(), body: jsonBody(UpdateSettingsInput) },
      responses: {
        200: jsonResponse(SettingsSchema, "The settings as changed."),
        ...errorResponses(400, 401, 403, 404, 413, 415, 422, 503),
      },
    }),
    async (c) => {
      const { kv, catalog, config } = c.get("services");
      const { after } = await updateSettings(
        kv,
        { catalog, retentionMs: config.eventRetentionMs },
        {
          locationId: c.get("location").id,
          patch: c.req.valid("json"),
          addToCommit: auditHook(auditOf(c), c.get("location").id, (before, after) => ({
            action: "settings.update",
            target: { type: "settings", id: c.get("location").id },
            before,
            after,
          })),
        },
      );
      return c.json(after, 200);
    },
  );
