/** Orders: guests place and follow them; staff list them and move them along. */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { actor } from "../../lib/auth/principal.ts";
import { auditHook } from "../../lib/audit/hook.ts";
import { withJsonFields } from "../../lib/kv/codec.ts";
import { badRequest, notFound, unauthorized } from "../../lib/errors.ts";
import { parseIdempotencyKey } from "../../lib/orders/idempotency.ts";
import { guestView } from "../../lib/orders/lifecycle.ts";
import { changeLineReadiness, moveOrderStatus } from "../../lib/orders/moves.ts";
import { getOrder, listOrders } from "../../lib/orders/store.ts";
import {
  CreatedOrderSchema,
  CreateOrderInput,
  type Order,
  OrderSchema,
  OrderStatusSchema,
  type OrderView,
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
import type { AppEnv, StaffEnv } from "../state.ts";
import type { Services } from "../../lib/services.ts";

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
        "(its `createdAt`) to the store acknowledging its commit, and its `estimatedReadyAt` " +
        "(null from a server process that follows no stream or read of the location yet). " +
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
      const { intake, auth, limits, hubs } = c.get("services");
      const key = parseIdempotencyKey(c.req.header("idempotency-key"));
      const input = c.req.valid("json");
      limits.takeAll([
        ["ordersPerTable", input.tableToken],
        ["ordersPerAddress", c.get("clientAddress")],
      ]);
      const placed = await intake.place(input, key);
      // The estimate comes from the location's hub when this process runs it (a kitchen screen,
      // a guest stream or a read started it); a process that only takes orders does not start
      // one for them (null until then; the guest's stream and reads carry it).
      const hub = hubs.running(placed.order.locationId);
      const orderToken = auth.orderToken(placed.order.locationId, placed.order.id);
      if (placed.replayed) c.header("Idempotent-Replayed", "true");
      if (placed.commitMs !== undefined) {
        c.header(
          "Server-Timing",
          `commit;dur=${placed.commitMs.toFixed(2)};desc="priced to committed"`,
        );
      }
      c.header("Location", `/api/orders/${placed.order.id}?token=${orderToken}`);
      // The order's JSON as stored, with its estimate and token: not encoded a second time.
      const body = withJsonFields(placed.json, [
        ["estimatedReadyAt", hub?.estimateAtCreation(placed.order, placed.snapshot) ?? null],
        ["orderToken", orderToken],
      ]);
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
      return c.json(await withEstimate(c, order), 200);
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
      const hub = await c.get("services").hubs.get(locationId);
      await hub.catalogLoaded();
      const estimates = hub.estimatesOf(page.orders);
      const orders = page.orders.map((o, i) => ({ ...o, estimatedReadyAt: estimates[i] }));
      return c.json({ orders, cursor: page.next ?? "" }, 200);
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
      return c.json(await withEstimate(c, order), 200);
    },
  )
  .openapi(lineRoute("post"), (c) => lineReadiness(c, true))
  .openapi(lineRoute("delete"), (c) => lineReadiness(c, false));

/** `POST` (ready) and `DELETE` (undo) of one line's readiness. */
function lineRoute(method: "post" | "delete") {
  return staffRoute("kitchen.lines", {
    method,
    path: "/orders/{id}/lines/{index}/ready",
    tags: ["kitchen"],
    summary: method === "post" ? "Mark a line ready" : "Mark a line not ready (undo)",
    description: "On a `queued` or `preparing` order (else 409 `illegal_transition`). " +
      "Marking a line of a `queued` order moves it to `preparing`; the last line ready moves it " +
      "to `ready`; each in the same commit, appended to `history`. A line already so is a 200 " +
      "that changes nothing (`Line-Changed: false`). Each real change is one change on the feed. " +
      '`If-Match: "<version>"` makes it conditional (409 `version_conflict` when stale), as for ' +
      "a move: a screen that was offline sends the version it saw.",
    request: {
      params: z.object({
        id: z.string().min(1).max(64),
        index: z.coerce.number().int().min(0).max(999).openapi({ description: "0-based." }),
      }),
      query: staffQuery(),
      headers: z.object({ "if-match": z.string().optional() }),
    },
    responses: {
      200: jsonResponse(OrderSchema, "The order."),
      ...errorResponses(400, 401, 403, 404, 409, 503),
    },
  });
}

async function lineReadiness(c: Context<StaffEnv>, ready: boolean) {
  const { kv, config } = c.get("services");
  const { id, index } = c.req.param() as { id: string; index: string };
  const principal = c.get("principal");
  const locationId = c.get("location").id;
  const line = Number(index);
  const { order, changed } = await changeLineReadiness(kv, {
    locationId,
    orderId: id,
    index: line,
    ready,
    by: actor(principal),
    expectedVersion: parseIfMatch(c.req.header("if-match")),
    retentionMs: config.eventRetentionMs,
    addToCommit: auditHook(auditOf(c), locationId, (before, after) => ({
      action: ready ? "order.line_ready" : "order.line_not_ready",
      target: { type: "order", id },
      before: { status: before.status, version: before.version, line },
      after: { status: after.status, version: after.version, line },
    })),
  });
  c.header("ETag", `"${order.version}"`);
  c.header("Line-Changed", String(changed));
  return c.json(await withEstimate(c, order), 200);
}

/** The order with its derived `estimatedReadyAt` (from the location's hub). */
async function withEstimate(
  c: { get(key: "services"): Services },
  order: Order,
): Promise<OrderView> {
  const hub = await c.get("services").hubs.get(order.locationId);
  await hub.catalogLoaded();
  return { ...order, estimatedReadyAt: hub.estimateOf(order) };
}

/**
 * The order `id` as the caller may see it: a guest holding its order token, or staff (token
 * header, cookie or `?access_token=`) within their location.
 */
export async function findOrderForCaller(c: Context<AppEnv>, id: string): Promise<Order> {
  const { kv, auth } = c.get("services");
  const guestToken = c.req.query("token");
  if (guestToken !== undefined && !c.req.header("authorization")) {
    const locationId = await auth.orderTokenLocation(id, guestToken);
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
