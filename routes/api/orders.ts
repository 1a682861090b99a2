/** Orders: guests place and follow them; staff list them and move them along. */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { actor } from "../../lib/auth/principal.ts";
import { withJsonField } from "../../lib/kv/codec.ts";
import { badRequest, notFound, unauthorized } from "../../lib/errors.ts";
import { parseIdempotencyKey } from "../../lib/orders/idempotency.ts";
import { guestView } from "../../lib/orders/lifecycle.ts";
import { moveOrderStatus } from "../../lib/orders/moves.ts";
import { getOrder, listOrders } from "../../lib/orders/store.ts";
import {
  CreatedOrderSchema,
  CreateOrderInput,
  type Order,
  OrderSchema,
  OrderStatusSchema,
  TransitionInput,
} from "../../lib/schemas.ts";
import { auditOf, authenticate, authorize, resolveLocation } from "../middleware/auth.ts";
import {
  blankIsAbsent,
  encodedJson,
  errorResponses,
  jsonBody,
  jsonResponse,
  locationQuery,
  router,
  staffQuery,
  staffRoute,
  staffSecurity,
} from "../openapi.ts";
import type { AppEnv } from "../state.ts";

const OrderParams = z.object({ id: z.string().min(1).max(64) });

export const orders = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/orders",
      tags: ["orders"],
      summary: "Place an order (guest)",
      description: "Prices come from the menu; any price or total in the body is ignored. " +
        "The same `Idempotency-Key` for the same table within 24 h answers with the first response " +
        "(with `Idempotent-Replayed: true`) and creates nothing; with another body it is a 409. " +
        "A new order's answer carries `Server-Timing: commit;dur=<ms>`, the time from pricing it " +
        "(its `createdAt`) to the store acknowledging its commit. " +
        "Rate limited per table token and per client address (429 `rate_limited` with " +
        "`Retry-After`); a table that is `out_of_service` is refused with 409 `table_unavailable`.",
      request: {
        headers: z.object({ "idempotency-key": z.string().optional() }),
        body: jsonBody(CreateOrderInput),
      },
      responses: {
        201: jsonResponse(CreatedOrderSchema, "The new order, with the guest's `orderToken`."),
        ...errorResponses(400, 401, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const { intake, auth, limits } = c.get("services");
      const key = parseIdempotencyKey(c.req.header("idempotency-key"));
      const input = c.req.valid("json");
      limits.takeAll([
        ["ordersPerTable", input.tableToken],
        ["ordersPerAddress", c.get("clientAddress")],
      ]);
      const placed = await intake.place(input, key);
      const orderToken = auth.orderToken(placed.order.locationId, placed.order.id);
      if (placed.replayed) c.header("Idempotent-Replayed", "true");
      if (placed.commitMs !== undefined) {
        c.header(
          "Server-Timing",
          `commit;dur=${placed.commitMs.toFixed(2)};desc="priced to committed"`,
        );
      }
      c.header("Location", `/api/orders/${placed.order.id}?token=${orderToken}`);
      // The order's JSON as stored, with its token: the order is not encoded a second time.
      const body = withJsonField(placed.json, "orderToken", orderToken);
      return encodedJson<z.infer<typeof CreatedOrderSchema>, 201>(c, body, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/orders/{id}",
      tags: ["orders"],
      summary: "Read an order",
      description: "Staff with their token, or the guest with `?token=<orderToken>`.",
      security: [...staffSecurity, {}],
      request: {
        params: OrderParams,
        query: z.object({
          token: z.string().max(200).optional().openapi({
            description: "The guest's `orderToken` (staff send their token instead).",
          }),
          ...locationQuery,
        }),
      },
      responses: {
        200: jsonResponse(OrderSchema, "The order; `ETag` is its version."),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const order = await findOrderForCaller(c, c.req.valid("param").id);
      c.header("ETag", `"${order.version}"`);
      return c.json(order, 200);
    },
  )
  .openapi(
    staffRoute("orders.read", {
      method: "get",
      path: "/orders",
      tags: ["orders"],
      summary: "List orders, newest first",
      description: "An empty parameter (`?status=&table=&cursor=&limit=`) is the same as none.",
      request: {
        query: staffQuery({
          status: blankIsAbsent(OrderStatusSchema.optional()),
          table: blankIsAbsent(z.string().max(64).optional()).openapi({
            description: "A table id.",
          }),
          cursor: z.string().max(64).optional().openapi({
            description: "The previous page's `cursor`.",
          }),
          limit: blankIsAbsent(z.coerce.number().int().min(1).max(200).default(50)).openapi({
            description: "Orders per page, 1 to 200 (default 50).",
          }),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({
            orders: z.array(OrderSchema),
            cursor: z.string().openapi({ description: "Empty on the last page." }),
          }),
          "A page of orders.",
        ),
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const { status, table, cursor, limit } = c.req.valid("query");
      const { kv } = c.get("services");
      const locationId = c.get("location").id;
      const page = await listOrders(kv, locationId, {
        status,
        tableId: table,
        before: cursor || undefined,
        limit,
      });
      return c.json({ orders: page.orders, cursor: page.next ?? "" }, 200);
    },
  )
  .openapi(
    staffRoute("orders.read", {
      method: "patch",
      path: "/orders/{id}",
      tags: ["orders"],
      summary: "Move an order to its next status",
      description:
        '`If-Match: "<version>"` makes the move conditional (409 `version_conflict` when stale; ' +
        "`*` matches any version). " +
        "Moves: pending→queued→preparing→ready→delivered→closed, pending|queued→cancelled.",
      request: {
        params: OrderParams,
        query: staffQuery(),
        headers: z.object({ "if-match": z.string().optional() }),
        body: jsonBody(TransitionInput),
      },
      responses: {
        200: jsonResponse(OrderSchema, "The order after the move."),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
      },
    }),
    async (c) => {
      const { kv, config } = c.get("services");
      const principal = c.get("principal");
      const order = await moveOrderStatus(kv, {
        locationId: c.get("location").id,
        orderId: c.req.valid("param").id,
        to: c.req.valid("json").status,
        role: principal.role,
        by: actor(principal),
        expectedVersion: parseIfMatch(c.req.header("if-match")),
        retentionMs: config.eventRetentionMs,
        audit: auditOf(c),
      });
      c.header("ETag", `"${order.version}"`);
      return c.json(order, 200);
    },
  );

/**
 * The order `id` as the caller may see it: a guest holding its order token, or staff (token
 * header, cookie or `?access_token=`) within their location.
 */
export async function findOrderForCaller(c: Context<AppEnv>, id: string): Promise<Order> {
  const { kv, auth } = c.get("services");
  const guestToken = c.req.query("token");
  if (guestToken !== undefined && !c.req.header("authorization")) {
    const locationId = auth.orderTokenLocation(id, guestToken);
    if (!locationId) {
      throw unauthorized("This order token does not open this order.", "invalid_order_token");
    }
    const order = await getOrder(kv, locationId, id);
    if (!order) throw notFound("Order");
    return guestView(order);
  }
  const principal = authorize(await authenticate(c, { allowQueryToken: true }), "orders.read");
  c.set("principal", principal);
  const location = await resolveLocation(kv, principal, c.req.query("location"));
  const order = await getOrder(kv, location.id, id);
  if (!order) throw notFound("Order");
  return order;
}

/**
 * The version an `If-Match` asks for; none for `*`, which any current order matches (RFC 9110).
 * A weak tag (`W/"3"`) never matches: `If-Match` uses the strong comparison, so it asks for a
 * version no order has (-1), and the move is refused as stale.
 */
function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  const match = /^\s*(W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) {
    throw badRequest('If-Match must be an order version, such as "3".', "invalid_if_match");
  }
  return match[1] ? -1 : Number(match[2]);
}
