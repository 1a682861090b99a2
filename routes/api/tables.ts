/** Tables of the caller's location, with their QR codes. Servers and managers. */
import { z } from "@hono/zod-openapi";
import { notFound } from "../../lib/errors.ts";
import { occupiedTables, withOccupancy } from "../../lib/visits/store.ts";
import { getTable, listTables } from "../../lib/catalog/tables.ts";
import { guestUrl, tableQrSvg } from "../../lib/catalog/qr.ts";
import { CreateTableInput, type Table, TableSchema, UpdateTableInput } from "../../lib/schemas.ts";
import { scopeOf } from "../middleware/auth.ts";
import {
  errorResponses,
  jsonBody,
  jsonResponse,
  router,
  staffQuery,
  staffRoute,
} from "../openapi.ts";

const TableParams = z.object({ id: z.string().min(1).max(64) });

/** A table as staff see it: with its QR token and guest URL. */
export function staffView(table: Table, publicUrl: string) {
  return {
    id: table.id,
    number: table.number,
    seats: table.seats,
    status: table.status,
    token: table.token,
    qrUrl: guestUrl(publicUrl, table.token),
  };
}

/** The location's tables by number as staff see them (`GET /api/tables`, the admin pages). */
export async function staffTables(kv: Deno.Kv, locationId: string, publicUrl: string) {
  const all = await listTables(kv, locationId);
  const occupied = await occupiedTables(kv, locationId, all.map((t) => t.id));
  return all.map((t) => staffView(withOccupancy(t, occupied), publicUrl));
}

export const tables = router()
  .openapi(
    staffRoute("tables.manage", {
      method: "get",
      path: "/tables",
      tags: ["tables"],
      summary: "List tables",
      description: "A table with an open visit (an order since its last close) reads `occupied`.",
      request: { query: staffQuery() },
      responses: {
        200: jsonResponse(
          z.object({ tables: z.array(TableSchema) }),
          "The location's tables by number.",
        ),
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const { kv, config } = c.get("services");
      return c.json({ tables: await staffTables(kv, c.get("location").id, config.publicUrl) }, 200);
    },
  )
  .openapi(
    staffRoute("tables.manage", {
      method: "post",
      path: "/tables",
      tags: ["tables"],
      summary: "Add a table",
      request: { query: staffQuery(), body: jsonBody(CreateTableInput) },
      responses: {
        201: jsonResponse(TableSchema, "The new table, with its QR token."),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      const { config, catalogService } = c.get("services");
      const table = await catalogService.createTable(scopeOf(c), c.req.valid("json"));
      return c.json(staffView(table, config.publicUrl), 201);
    },
  )
  .openapi(
    staffRoute("tables.manage", {
      method: "patch",
      path: "/tables/{id}",
      tags: ["tables"],
      summary: "Change a table",
      description: "Change number, seats or status; `rotateToken: true` issues a new QR token.",
      request: { params: TableParams, query: staffQuery(), body: jsonBody(UpdateTableInput) },
      responses: {
        200: jsonResponse(TableSchema, "The table as changed."),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      const { kv, config, catalogService } = c.get("services");
      const table = await catalogService.updateTable(
        scopeOf(c),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      const occupied = await occupiedTables(kv, table.locationId, [table.id]);
      return c.json(staffView(withOccupancy(table, occupied), config.publicUrl), 200);
    },
  )
  .openapi(
    staffRoute("tables.manage", {
      method: "post",
      path: "/tables/{id}/rotate-token",
      tags: ["tables"],
      summary: "Issue the table a new QR token",
      description: "The old token is refused at once (401) everywhere: menus, orders, menu " +
        "streams opened with it end with a comment. Print the new `qrUrl`.",
      request: { params: TableParams, query: staffQuery() },
      responses: {
        200: jsonResponse(TableSchema, "The table with its new `token` and `qrUrl`."),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { config, catalogService } = c.get("services");
      const table = await catalogService.updateTable(scopeOf(c), c.req.valid("param").id, {
        rotateToken: true,
      });
      return c.json(staffView(table, config.publicUrl), 200);
    },
  )
  .openapi(
    staffRoute("tables.manage", {
      method: "delete",
      path: "/tables/{id}",
      tags: ["tables"],
      summary: "Remove a table",
      description: "Its QR token stops working at once; its orders stay.",
      request: { params: TableParams, query: staffQuery() },
      responses: { 204: { description: "Removed." }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { catalogService } = c.get("services");
      await catalogService.deleteTable(scopeOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    staffRoute("tables.manage", {
      method: "get",
      path: "/tables/{id}/qr.svg",
      tags: ["tables"],
      summary: "The table's QR code",
      request: { params: TableParams, query: staffQuery() },
      responses: {
        200: {
          description: "An SVG QR code of the guest URL.",
          content: { "image/svg+xml": { schema: z.string() } },
        },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { kv, config } = c.get("services");
      const table = await getTable(kv, c.get("location").id, c.req.valid("param").id);
      if (!table) throw notFound("Table");
      const svg = await tableQrSvg(config.publicUrl, table.token);
      c.header("Content-Type", "image/svg+xml");
      c.header("Cache-Control", "private, no-store");
      return c.body(svg, 200) as never;
    },
  );
