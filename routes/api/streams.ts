/** Server-sent event streams: the kitchen stream and a guest's order events, fed by the hub. */
import { createRoute, z } from "@hono/zod-openapi";
import { sseResponse } from "../../lib/feed/sse.ts";
import { endsOrderStream, openKitchenStream, openOrderStream } from "../../lib/feed/streams.ts";
import { errorResponses, router, staffQuery, staffRoute, staffSecurity } from "../openapi.ts";
import { findOrderForCaller } from "./orders.ts";

const SseResponse = {
  description: "`text/event-stream`.",
  content: { "text/event-stream": { schema: z.string() } },
};

const StreamQuery = {
  lastEventId: z.string().max(64).optional().openapi({
    description: "The `Last-Event-ID` to resume after, for clients that cannot send the header.",
  }),
};

export const streams = router()
  .openapi(
    staffRoute("kitchen.stream", {
      method: "get",
      path: "/kitchen/stream",
      tags: ["kitchen"],
      summary: "The kitchen stream (server-sent events)",
      description:
        "On a fresh connection one `snapshot` event, `{ orders: [...], settings }`, holding every " +
        "order of the location that is not closed or cancelled; then one `order` event per change " +
        "(the whole order), in commit order, each with an `id`. With `Last-Event-ID` (header, or " +
        "`?lastEventId=`) exactly the changes after it are replayed instead; an id too old to " +
        "replay gets a fresh `snapshot`. A `: keep-alive` comment comes at least every 15 s, and " +
        "the stream ends with a comment within one keep-alive of its credential being revoked or " +
        "expiring. " +
        "Every order carries its derived `estimatedReadyAt`. `?station=<name>` sends only orders " +
        "with a line for that station (the whole order; stations read their own lines); without " +
        "it, the expo view: every order. Servers, managers and owners also get a `request` event " +
        "(the service request) whenever one is made or acknowledged, and their snapshot holds the " +
        "open ones as `requests`. Every staff stream also gets a `settings` event, " +
        "`{ autoAccept, orderingPaused, ticketWarnMinutes, ticketLateMinutes }`, with an `id` " +
        "like the others, when a manager changes the location's settings (a screen recolours its " +
        "tickets by them, and says when ordering is paused, without a reload); the snapshot holds " +
        "the current ones as `settings`. " +
        "Staff token as bearer header, session cookie, or `?access_token=` (for `EventSource`).",
      request: {
        query: staffQuery({
          ...StreamQuery,
          access_token: z.string().max(4096).optional(),
          station: z.string().max(32).regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).optional().openapi({
            description: "Only orders with a line for this station (e.g. `bar`).",
          }),
        }),
        headers: z.object({ "last-event-id": z.string().optional() }),
      },
      responses: { 200: SseResponse, ...errorResponses(400, 401, 403, 404, 429) },
    }, { allowQueryToken: true }),
    async (c) => {
      const { hubs, auth, config, streams } = c.get("services");
      const principal = c.get("principal");
      const slot = streams.open([["staff", principal.id], ["address", c.get("clientAddress")]]);
      try {
        const hub = await hubs.get(c.get("location").id);
        const { subscription, start } = await openKitchenStream(hub, lastEventId(c.req.raw), {
          station: c.req.valid("query").station,
          requests: principal.role !== "kitchen",
        });
        return sseResponse(subscription, start, {
          keepAliveMs: config.streamKeepAliveMs,
          stillAllowed: () => auth.stillValid(principal),
          onClose: slot.release,
        }) as unknown as Response;
      } catch (error) {
        slot.release();
        throw error;
      }
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/orders/{id}/events",
      tags: ["orders"],
      summary: "Follow one order (server-sent events)",
      description: "First an `order` event with the order's current state, then one on every " +
        "change; the stream ends after `closed` or `cancelled`. Orders carry `estimatedReadyAt`; " +
        "an `eta` event `{ estimatedReadyAt }` (no id) comes whenever the estimate moves by a " +
        "minute or more between changes. Events carry ids, and a reconnect " +
        "with `Last-Event-ID` resumes exactly; 204 once the order has ended and nothing is left. " +
        "The guest's `?token=<orderToken>`, or staff.",
      security: [...staffSecurity, {}],
      request: {
        params: z.object({ id: z.string().min(1).max(64) }),
        query: z.object({ token: z.string().max(200).optional(), ...StreamQuery }),
        headers: z.object({ "last-event-id": z.string().optional() }),
      },
      responses: {
        200: SseResponse,
        204: { description: "The order has ended and the client has seen all of it." },
        ...errorResponses(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { kv, hubs, auth, config, streams } = c.get("services");
      const orderId = c.req.valid("param").id;
      const found = await findOrderForCaller(c, orderId);
      // Staff follow with their credential (re-checked as the stream goes); a guest's order
      // token opens that one order for good, and sees roles, not credential ids.
      const principal = c.get("principal");
      const slot = streams.open([
        principal ? ["staff", principal.id] : ["order", orderId],
        ["address", c.get("clientAddress")],
      ]);
      try {
        const hub = await hubs.get(found.locationId);
        const opened = await openOrderStream(kv, hub, { orderId, after: lastEventId(c.req.raw) });
        if (!opened) {
          slot.release();
          return c.body(null, 204) as unknown as Response;
        }
        return sseResponse(opened.subscription, opened.start, {
          keepAliveMs: config.streamKeepAliveMs,
          stillAllowed: principal ? () => auth.stillValid(principal) : undefined,
          endAfter: endsOrderStream,
          guest: !principal,
          onClose: slot.release,
        }) as unknown as Response;
      } catch (error) {
        slot.release();
        throw error;
      }
    },
  );

function lastEventId(request: Request): string | null {
  return request.headers.get("last-event-id") ??
    new URL(request.url).searchParams.get("lastEventId");
}
