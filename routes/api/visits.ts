/** Table visits (the bill): staff read and close them; the guest reads the open one. */
import { createRoute, z } from "@hono/zod-openapi";
import { actor } from "../../lib/auth/principal.ts";
import { auditHook } from "../../lib/audit/hook.ts";
import { auditOf } from "../middleware/auth.ts";
import { getTable } from "../../lib/catalog/tables.ts";
import { AppError, notFound, unauthorized } from "../../lib/errors.ts";
import { assertTable, closeVisit, getLatestVisit, getOpenVisit } from "../../lib/visits/store.ts";
import { type Visit, VisitSchema } from "../../lib/visits/visit.ts";
import { errorResponses, jsonResponse, router, staffQuery, staffRoute } from "../openapi.ts";

const TableParams = z.object({ id: z.string().min(1).max(64) });

/** A visit as answered (the location is the caller's). */
function view({ locationId: _, ...visit }: Visit) {
  return visit;
}

export const visits = router()
  .openapi(
    staffRoute("orders.read", {
      method: "get",
      path: "/tables/{id}/visit",
      tags: ["visits"],
      summary: "A table's visit (the bill)",
      description: "The open visit (from the table's first order after the last close; later " +
        "orders join it; cancelled orders are not in the total), else the last closed one; 404 " +
        "when the table never had one.",
      request: { params: TableParams, query: staffQuery() },
      responses: {
        200: jsonResponse(VisitSchema, "The visit."),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { kv } = c.get("services");
      const locationId = c.get("location").id;
      const table = assertTable(await getTable(kv, locationId, c.req.valid("param").id));
      const visit = await getLatestVisit(kv, locationId, table.id);
      if (!visit) throw notFound("Visit");
      return c.json(view(visit), 200);
    },
  )
  .openapi(
    staffRoute("tables.manage", {
      method: "post",
      path: "/tables/{id}/visit/close",
      tags: ["visits"],
      summary: "Close a table's visit",
      description: "Every order of the visit must be delivered (or closed) or cancelled first " +
        "(409 `visit_has_open_orders`, `details` naming them); 409 `no_open_visit` without " +
        "one. The table reads `available` again, and its next order opens a new visit. On the " +
        "feed as a `visit` change.",
      request: { params: TableParams, query: staffQuery() },
      responses: {
        200: jsonResponse(VisitSchema, "The visit, closed."),
        ...errorResponses(400, 401, 403, 404, 409, 503),
      },
    }),
    async (c) => {
      const { kv, config } = c.get("services");
      const locationId = c.get("location").id;
      const table = assertTable(await getTable(kv, locationId, c.req.valid("param").id));
      const closed = await closeVisit(kv, {
        locationId,
        tableId: table.id,
        by: actor(c.get("principal")),
        retentionMs: config.eventRetentionMs,
        addToCommit: auditHook(auditOf(c), locationId, (visit) => ({
          action: "visit.close",
          target: { type: "visit", id: visit.id },
          before: { status: "open" },
          after: {
            status: visit.status,
            tableId: visit.tableId,
            orders: visit.orders,
            totalCents: visit.totalCents,
          },
        })),
      });
      return c.json(view(closed), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/visit",
      tags: ["visits"],
      summary: "The table's open bill (guest)",
      description: "With the table's token: its open visit; 404 `no_open_visit` when the table " +
        "has none (a closed visit is not shown to the next guests).",
      request: { query: z.object({ table: z.string().min(1).max(200) }) },
      responses: {
        200: jsonResponse(VisitSchema, "The open visit."),
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) => {
      const { catalog, kv } = c.get("services");
      const token = c.req.valid("query").table;
      const found = catalog.peekTable(token) ?? await catalog.findByToken(token);
      if (!found) {
        throw unauthorized(
          "This table code is not valid; scan the table's QR code again.",
          "invalid_table_token",
        );
      }
      const visit = await getOpenVisit(kv, found.table.locationId, found.table.id);
      if (!visit) throw new AppError("not_found", "no_open_visit", "This table has no open bill.");
      return c.json(view(visit), 200);
    },
  );
