/** `GET /api/audit`: the audit log of the caller's location, newest first. */
import { z } from "@hono/zod-openapi";
import { AUDIT_SERVER_SCOPE, auditView } from "../../lib/audit/entry.ts";
import { listAuditEntries } from "../../lib/audit/log.ts";
import { forbidden } from "../../lib/errors.ts";
import { AuditEntrySchema } from "../../lib/schemas.ts";
import {
  blankIsAbsent,
  errorResponses,
  jsonResponse,
  router,
  staffQuery,
  staffRoute,
} from "../openapi.ts";

const AuditQuery = staffQuery({
  cursor: z.string().max(64).optional().openapi({ description: "The previous page's cursor." }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  action: blankIsAbsent(z.string().max(64).optional()).openapi({
    description: "An action (`order.transition`) or its first part (`order`) for all of its kind.",
  }),
  actor: blankIsAbsent(z.string().max(254).optional()).openapi({
    description: "An actor's id (a device token's id, `bootstrap`) or email.",
  }),
  scope: z.enum(["location", "server"]).default("location").openapi({
    description: "`server`: security events tied to no location (refused credentials, " +
      "sign-ins with an unknown state), for an owner of every location (the bootstrap token).",
  }),
});

export const audit = router()
  .openapi(
    staffRoute("audit.read", {
      method: "get",
      path: "/audit",
      tags: ["audit"],
      summary: "The audit log",
      description: "Every staff mutation, in the same commit as the change, and security events " +
        "(`auth.sign_in`, `auth.sign_in_failed`, `auth.sign_out`, `auth.device_sign_in`, and " +
        "`auth.credential_refused` summarised per address and minute with a `count`). Newest " +
        "first; with filters a page may hold fewer than `limit` entries and still have a " +
        "`cursor`. Entries are kept for `SEATSERVE_AUDIT_RETENTION_DAYS` (default 90).",
      request: { query: AuditQuery },
      responses: {
        200: jsonResponse(
          z.object({ entries: z.array(AuditEntrySchema), cursor: z.string() }),
          "Newest first; `cursor` is empty on the last page.",
        ),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const principal = c.get("principal");
      if (query.scope === "server" && principal.locations !== "all") {
        throw forbidden("Only an owner of every location may read server-wide events.");
      }
      const scope = query.scope === "server" ? AUDIT_SERVER_SCOPE : c.get("location").id;
      const page = await listAuditEntries(c.get("services").kv, scope, {
        action: query.action,
        actor: query.actor,
        before: query.cursor || undefined,
        limit: query.limit,
      });
      return c.json({ entries: page.entries.map(auditView), cursor: page.next ?? "" }, 200);
    },
  );
