/** Server-sent event streams: the kitchen stream and a guest's order events, fed by the hub. */
import { createRoute, z } from "@hono/zod-openapi";
import type { FeedChange } from "../../lib/feed/feed.ts";
import type { EndReason, Subscription } from "../../lib/feed/hub.ts";
import { getOrder } from "../../lib/orders/store.ts";
import type { Order } from "../../lib/schemas.ts";
import { staffOnly } from "../middleware/auth.ts";
import { errorResponses, router, staffSecurity } from "../openapi.ts";
import { findOrderForCaller } from "./orders.ts";

/** How long a client waits before reconnecting after a dropped connection. */
const RETRY_MS = 1_000;

const encoder = new TextEncoder();
const orderFrames = new WeakMap<FeedChange, Uint8Array>();
const snapshotFrames = new WeakMap<readonly Order[], Uint8Array>();
const runFrames = new WeakMap<
  FeedChange,
  { last: FeedChange; length: number; bytes: Uint8Array }
>();
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");
const END_COMMENTS: Record<EndReason, string> = {
  unsubscribed: ": end\n\n",
  overflow:
    ": dropped: this client fell too far behind; reconnect with Last-Event-ID to resume\n\n",
  shutdown: ": server shutting down; reconnect with Last-Event-ID to resume\n\n",
  error: ": the change feed failed; reconnect with Last-Event-ID to resume\n\n",
};
const TOKEN_ENDED = encoder.encode(
  ": the token this stream was opened with was revoked or has expired; sign in again\n\n",
);

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
    createRoute({
      method: "get",
      path: "/kitchen/stream",
      tags: ["kitchen"],
      summary: "The kitchen stream (server-sent events)",
      description:
        "On a fresh connection one `snapshot` event, `{ orders: [...] }`, holding every " +
        "order of the location that is not closed or cancelled; then one `order` event per change " +
        "(the whole order), in commit order, each with an `id`. With `Last-Event-ID` (header, or " +
        "`?lastEventId=`) exactly the changes after it are replayed instead; an id too old to " +
        "replay gets a fresh `snapshot`. A `: keep-alive` comment comes at least every 15 s, and " +
        "the stream ends with a comment within one keep-alive of its token being revoked or " +
        "expiring. " +
        "Staff token as bearer header, session cookie, or `?access_token=` (for `EventSource`).",
      security: [...staffSecurity, {}],
      middleware: [staffOnly("kitchen.stream", { allowQueryToken: true })] as const,
      request: {
        query: z.object({
          ...StreamQuery,
          access_token: z.string().max(4096).optional(),
          location: z.string().max(64).optional(),
        }),
        headers: z.object({ "last-event-id": z.string().optional() }),
      },
      responses: { 200: SseResponse, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { hubs, auth, config } = c.get("services");
      const principal = c.get("principal");
      const hub = await hubs.get(c.get("location").id);
      const subscription = await hub.subscribe({ after: lastEventId(c.req.raw) });
      const start = subscription.start;
      const first = start.kind === "snapshot"
        ? [snapshotFrame(start.orders, start.cursor)]
        : start.changes.map(orderFrame);
      return sseResponse(subscription, first, {
        keepAliveMs: config.streamKeepAliveMs,
        stillAllowed: () => auth.stillValid(principal),
      }) as unknown as Response;
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/orders/{id}/events",
      tags: ["orders"],
      summary: "Follow one order (server-sent events)",
      description: "First an `order` event with the order's current state, then one on every " +
        "change; the stream ends after `closed` or `cancelled`. Events carry ids, and a reconnect " +
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
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { kv, hubs, auth, config } = c.get("services");
      const id = c.req.valid("param").id;
      const found = await findOrderForCaller(c, id);
      const hub = await hubs.get(found.locationId);
      const subscription = await hub.subscribe({ after: lastEventId(c.req.raw), orderId: id });
      const start = subscription.start;
      let first: FeedChange[] = [];
      if (start.kind === "replay") first = [...start.changes];
      else {
        const open = findOpen(start.orders, id);
        if (open) first = [asChange(open, start.cursor ?? "")];
      }
      if (!first.length) {
        // Not open as of the hub's cursor: either created since (its changes are on their way)
        // or already ended. An ended order is final: take in every commit up to now and see.
        const current = await getOrder(kv, found.locationId, id);
        if (current && isTerminal(current)) {
          await hub.sync();
          first = subscription.take();
          if (!first.length && start.kind === "snapshot") {
            first = [asChange(current, hub.cursor ?? start.cursor ?? "")];
          }
          if (!first.length) {
            subscription.close();
            return c.body(null, 204) as unknown as Response;
          }
        }
      }
      // Staff follow with their token (re-checked as the stream goes); a guest's order token
      // opens that one order for good.
      const principal = c.get("principal");
      return sseResponse(subscription, first.map(orderFrame), {
        keepAliveMs: config.streamKeepAliveMs,
        stillAllowed: principal ? () => auth.stillValid(principal) : undefined,
        endAfter: (change) => isTerminal(change.order),
        firstChanges: first,
      }) as unknown as Response;
    },
  );

function lastEventId(request: Request): string | null {
  return request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get(
    "lastEventId",
  );
}

function isTerminal(order: Order): boolean {
  return order.status === "closed" || order.status === "cancelled";
}

function findOpen(orders: readonly Order[], id: string): Order | undefined {
  let low = 0;
  let high = orders.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (orders[mid].id === id) return orders[mid];
    if (orders[mid].id < id) low = mid + 1;
    else high = mid - 1;
  }
  return undefined;
}

/** The current state of an order as a change at the feed position `id`. */
function asChange(order: Order, id: string): FeedChange {
  return { id, versionstamp: id.split("-")[0], index: 0, order };
}

function orderFrame(change: FeedChange): Uint8Array {
  let frame = orderFrames.get(change);
  if (!frame) {
    const id = change.id ? `id: ${change.id}\n` : "";
    frame = encoder.encode(`${id}event: order\ndata: ${JSON.stringify(change.order)}\n\n`);
    orderFrames.set(change, frame);
  }
  return frame;
}

function snapshotFrame(orders: readonly Order[], cursor: string | null): Uint8Array {
  let frame = snapshotFrames.get(orders);
  if (!frame) {
    const id = cursor ? `id: ${cursor}\n` : "";
    frame = encoder.encode(`${id}event: snapshot\ndata: ${JSON.stringify({ orders })}\n\n`);
    snapshotFrames.set(orders, frame);
  }
  return frame;
}

/**
 * The frames of `changes` as one chunk. Streams that are caught up all take the same run of
 * changes, so the chunk is built once and shared: a run of the feed is known by its first change,
 * its last and its length (the feed is one total order, so those fix every change between).
 */
function framesOf(changes: FeedChange[]): Uint8Array {
  if (changes.length === 1) return orderFrame(changes[0]);
  const last = changes[changes.length - 1];
  const cached = runFrames.get(changes[0]);
  if (cached && cached.last === last && cached.length === changes.length) return cached.bytes;
  const bytes = concat(changes.map(orderFrame));
  runFrames.set(changes[0], { last, length: changes.length, bytes });
  return bytes;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** How an event stream behaves. */
interface SseOptions {
  /** Interval of `: keep-alive` comments and of `stillAllowed` checks. */
  keepAliveMs: number;
  /** Whether the caller may still read the stream (checked with each keep-alive). */
  stillAllowed?: () => Promise<boolean>;
  /** The stream ends after the first change for which this holds. */
  endAfter?: (change: FeedChange) => boolean;
  /** The changes `first` was made from, to apply `endAfter` to them. */
  firstChanges?: FeedChange[];
}

/**
 * The event stream of a subscription. It pulls: the server asks for more only when the client
 * has taken what was sent, so a slow client's backlog stays in its subscription, which the hub
 * bounds (and then ends with a comment saying why).
 */
function sseResponse(
  subscription: Subscription,
  first: Uint8Array[],
  options: SseOptions,
): Response {
  let keepAliveDue = false;
  let done = false;
  // One timer per stream for its whole life; the pull loop sends the comment when it fires.
  const keepAlive = setInterval(() => {
    keepAliveDue = true;
    subscription.wake();
  }, options.keepAliveMs);
  const endAfter = options.endAfter;
  const endsAt = (changes: FeedChange[]) => endAfter ? changes.findIndex(endAfter) : -1;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const chunks = [encoder.encode(`retry: ${RETRY_MS}\n\n`), ...first];
      const end = options.firstChanges ? endsAt(options.firstChanges) : -1;
      if (end >= 0) chunks.length = end + 2;
      controller.enqueue(concat(chunks));
      if (end >= 0) finish(controller);
    },
    async pull(controller) {
      while (!done) {
        if (keepAliveDue) {
          keepAliveDue = false;
          const allowed = await stillAllowed();
          if (done) return; // cancelled or ended while the store answered
          if (!allowed) {
            controller.enqueue(TOKEN_ENDED);
            finish(controller);
            return;
          }
          controller.enqueue(KEEP_ALIVE);
        }
        let changes = subscription.take();
        if (changes.length) {
          const end = endsAt(changes);
          if (end >= 0) changes = changes.slice(0, end + 1);
          controller.enqueue(framesOf(changes));
          if (end >= 0) finish(controller);
          return;
        }
        const ended = subscription.ended;
        if (ended) {
          if (ended !== "unsubscribed") controller.enqueue(encoder.encode(END_COMMENTS[ended]));
          finish(controller);
          return;
        }
        if (controller.desiredSize !== null && controller.desiredSize <= 0) return;
        await subscription.wait();
      }
    },
    cancel() {
      done = true;
      clearInterval(keepAlive);
      subscription.close();
    },
  }, { highWaterMark: 1 });

  /** A store that does not answer right now does not end kitchen screens; the next tick asks again. */
  async function stillAllowed(): Promise<boolean> {
    return !options.stillAllowed || await options.stillAllowed().catch(() => true);
  }

  function finish(controller: ReadableStreamDefaultController<Uint8Array>) {
    done = true;
    clearInterval(keepAlive);
    subscription.close();
    controller.close();
  }

  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
