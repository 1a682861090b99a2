/**
 * Server-sent events from hub subscriptions: the framing (`id:`, `event:`, `data:`), frames
 * encoded once and shared by every stream, keep-alives, and the comment a stream ends with.
 */
import type { OrderFeedChange, StreamFeedChange } from "./feed.ts";
import type { EndReason, Subscription } from "./hub.ts";
import type { Order } from "../schemas.ts";
import type { ServiceRequest } from "../floor/requests.ts";
import { guestView } from "../orders/lifecycle.ts";
import { keepAliveClock } from "./keepalive.ts";
import { type ScreenSettings, screenSettings } from "../kitchen/settings.ts";

/** How long a client waits before reconnecting after a dropped connection. */
const RETRY_MS = 1_000;

const encoder = new TextEncoder();
const orderFrames = new WeakMap<StreamFeedChange, Uint8Array>();
const snapshotFrames = new WeakMap<
  readonly Order[],
  { settings: ScreenSettings | undefined; frame: Uint8Array }
>();
const runFrames = new WeakMap<
  StreamFeedChange,
  { last: StreamFeedChange; length: number; bytes: Uint8Array }
>();
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");
const RETRY = encoder.encode(`retry: ${RETRY_MS}\n\n`);
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

/**
 * The event of a change, encoded once whatever the number of streams sending it: `order` (the
 * order with its `estimatedReadyAt` as the hub took it in), `request` (a service request) or
 * `settings` (what a staff screen shows by: `screenSettings`).
 */
export function orderFrame(change: StreamFeedChange): Uint8Array {
  let frame = orderFrames.get(change);
  if (!frame) {
    const id = change.id ? `id: ${change.id}\n` : "";
    frame = encoder.encode(
      change.type === "order"
        ? `${id}event: order\ndata: ${orderJson(change.order, change.estimatedReadyAt)}\n\n`
        : change.type === "service_request"
        ? `${id}event: request\ndata: ${JSON.stringify(change.request)}\n\n`
        : `${id}event: settings\ndata: ${JSON.stringify(screenSettings(change.settings))}\n\n`,
    );
    orderFrames.set(change, frame);
  }
  return frame;
}

/** An order's JSON with its estimate (when there is one) as the last field. */
export function orderJson(order: Order, estimatedReadyAt: string | null | undefined): string {
  const json = JSON.stringify(order);
  return estimatedReadyAt === undefined
    ? json
    : `${json.slice(0, -1)},"estimatedReadyAt":${JSON.stringify(estimatedReadyAt)}}`;
}

/** A guest stream's `eta` event (no id: it is derived, not a change of the feed). */
function etaFrame(eta: { estimatedReadyAt: string | null }): Uint8Array {
  return encoder.encode(`event: eta\ndata: ${JSON.stringify(eta)}\n\n`);
}

const guestFrames = new WeakMap<OrderFeedChange, Uint8Array>();

/** The `order` event of a change as a guest sees it (`guestView`: roles, no credential ids). */
export function guestOrderFrame(change: OrderFeedChange): Uint8Array {
  const viewed = guestView(change.order);
  if (viewed === change.order) return orderFrame(change);
  let frame = guestFrames.get(change);
  if (!frame) {
    const id = change.id ? `id: ${change.id}\n` : "";
    frame = encoder.encode(
      `${id}event: order\ndata: ${orderJson(viewed, change.estimatedReadyAt)}\n\n`,
    );
    guestFrames.set(change, frame);
  }
  return frame;
}

/**
 * The `snapshot` event of the open orders as of the feed position `cursor`, each with its
 * estimate from `estimates` (ms since the epoch), for a floor screen the open `requests`, and
 * for a staff screen the `settings` it shows by.
 */
export function snapshotFrame(
  orders: readonly Order[],
  cursor: string | null,
  estimates?: ReadonlyMap<string, number | null>,
  requests?: readonly ServiceRequest[],
  settings?: ScreenSettings,
): Uint8Array {
  // With requests (a floor screen's), the frame is its own; the orders-only one is shared.
  const shared = requests ? undefined : snapshotFrames.get(orders);
  let frame = shared?.settings === settings ? shared?.frame : undefined;
  if (!frame) {
    const id = cursor ? `id: ${cursor}\n` : "";
    const list = orders.map((order) => {
      const estimate = estimates?.get(order.id);
      return orderJson(
        order,
        estimates ? (estimate == null ? null : new Date(estimate).toISOString()) : undefined,
      );
    }).join(",");
    const more = (requests ? `,"requests":${JSON.stringify(requests)}` : "") +
      (settings ? `,"settings":${JSON.stringify(settings)}` : "");
    frame = encoder.encode(`${id}event: snapshot\ndata: {"orders":[${list}]${more}}\n\n`);
    if (!requests) snapshotFrames.set(orders, { settings, frame });
  }
  return frame;
}

/**
 * The frames of `changes` as one chunk. Streams that are caught up all take the same run of
 * changes, so the chunk is built once and shared: a run of the feed is known by its first change,
 * its last and its length (the feed is one total order, so those fix every change between).
 */
function framesOf(changes: StreamFeedChange[]): Uint8Array {
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
export interface SseOptions {
  /** Interval of `: keep-alive` comments and of `stillAllowed` checks. */
  keepAliveMs: number;
  /** Whether the caller may still read the stream (checked with each keep-alive). */
  stillAllowed?: () => Promise<boolean>;
  /** The stream ends after the first change for which this holds. */
  endAfter?: (change: StreamFeedChange) => boolean;
  /** Frames changes as a guest sees them (`guestOrderFrame`) rather than as staff do. */
  guest?: boolean;
  /** Called once when the stream ends, however it ends (its stream-cap slot is given back). */
  onClose?: () => void;
}

/** What a stream sends first: changes (a replay) or ready-made frames (a snapshot). */
export type SseStart = { changes: StreamFeedChange[] } | { frames: Uint8Array[] };

/**
 * The event stream of a subscription. It pulls: the server asks for more only when the client
 * has taken what was sent, so a slow client's backlog stays in its subscription, which the hub
 * bounds (and then ends with a comment saying why).
 */
export function sseResponse(
  subscription: Subscription,
  start: SseStart,
  options: SseOptions,
): Response {
  let keepAliveDue = false;
  let done = false;
  // The process's one keep-alive clock marks the comment due; the pull loop sends it.
  const stopKeepAlive = keepAliveClock(options.keepAliveMs).add(() => {
    keepAliveDue = true;
    subscription.wake();
  });
  const endAfter = options.endAfter;
  const frame = options.guest
    ? (change: StreamFeedChange) => guestOrderFrame(change as OrderFeedChange)
    : orderFrame;
  const frames = options.guest
    ? (changes: StreamFeedChange[]) =>
      concat(changes.map((change) => guestOrderFrame(change as OrderFeedChange)))
    : framesOf;
  const endsAt = (changes: StreamFeedChange[]) => endAfter ? changes.findIndex(endAfter) : -1;
  /** A guest stream remembers the estimate it sent, so an `eta` comes only when it moves. */
  const sent = (changes: StreamFeedChange[]) => {
    const last = changes[changes.length - 1];
    if (last?.type === "order") subscription.sentEstimate(last.estimatedReadyAt);
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let first: Uint8Array[];
      let end = -1;
      if ("frames" in start) first = start.frames;
      else {
        end = endsAt(start.changes);
        const changes = end >= 0 ? start.changes.slice(0, end + 1) : start.changes;
        first = changes.map(frame);
        sent(changes);
      }
      // The shared bytes as they are (a snapshot is encoded once for every stream), not a copy.
      controller.enqueue(RETRY);
      for (const bytes of first) controller.enqueue(bytes);
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
          sent(changes);
          subscription.takeEta(); // the order event carries the estimate already
          controller.enqueue(frames(changes));
          if (end >= 0) finish(controller);
          return;
        }
        const eta = subscription.takeEta();
        if (eta) {
          controller.enqueue(etaFrame(eta));
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
      stopKeepAlive();
      subscription.close();
      options.onClose?.();
    },
  }, { highWaterMark: 1 });

  /** A store that does not answer right now does not end kitchen screens; the next tick asks again. */
  async function stillAllowed(): Promise<boolean> {
    return !options.stillAllowed || await options.stillAllowed().catch(() => true);
  }

  function finish(controller: ReadableStreamDefaultController<Uint8Array>) {
    done = true;
    stopKeepAlive();
    subscription.close();
    controller.close();
    options.onClose?.();
  }

  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}

/**
 * Where a stream of ready-made frames comes from (the menu stream): `take` gives what is due
 * (null when nothing is), `wait` resolves when something is due or `wake` was called, and once
 * the source has ended, `endComment` is the comment the stream ends with.
 */
export interface FrameSource {
  take(): Uint8Array | null;
  wait(): Promise<void>;
  wake(): void;
  close(): void;
  /** Null while live; once ended, the bytes to end with (may be empty). */
  readonly endComment: Uint8Array | null;
}

/**
 * An event stream of a frame source, pulled like `sseResponse`'s (nothing is produced for a
 * client that has not taken what was sent), with a `: keep-alive` comment every `keepAliveMs`.
 */
export function frameStreamResponse(
  source: FrameSource,
  options: { keepAliveMs: number; onClose?: () => void },
) {
  let keepAliveDue = false;
  let done = false;
  const stopKeepAlive = keepAliveClock(options.keepAliveMs).add(() => {
    keepAliveDue = true;
    source.wake();
  });
  const finish = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    done = true;
    stopKeepAlive();
    source.close();
    controller.close();
    options.onClose?.();
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(RETRY);
    },
    async pull(controller) {
      while (!done) {
        const frame = source.take();
        if (frame) {
          controller.enqueue(frame);
          return;
        }
        if (source.endComment) {
          if (source.endComment.length) controller.enqueue(source.endComment);
          finish(controller);
          return;
        }
        if (keepAliveDue) {
          keepAliveDue = false;
          controller.enqueue(KEEP_ALIVE);
          return;
        }
        await source.wait();
      }
    },
    cancel() {
      done = true;
      stopKeepAlive();
      source.close();
      options.onClose?.();
    },
  }, { highWaterMark: 1 });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}

/** A `<event>` frame whose data is JSON already encoded, with an optional `id:`. */
export function jsonFrame(event: string, json: Uint8Array, id?: string): Uint8Array {
  const head = encoder.encode(`${id ? `id: ${id}\n` : ""}event: ${event}\ndata: `);
  return concat([head, json, encoder.encode("\n\n")]);
}
