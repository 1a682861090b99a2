/**
 * What the two event streams start with: the kitchen stream (a location's open orders, or a
 * replay) and a guest's order stream (one order's changes). Both are hub subscriptions.
 */
import type { OrderFeedChange, StreamFeedChange } from "./feed.ts";
import type { LocationHub, Subscription } from "./hub.ts";
import { snapshotFrame, type SseStart } from "./sse.ts";
import { isOpen } from "../orders/lifecycle.ts";
import { getOrder } from "../orders/store.ts";
import type { Order } from "../schemas.ts";
import type { ServiceRequest } from "../floor/requests.ts";

/** A subscription and what its stream sends first. */
export interface OpenedStream {
  subscription: Subscription;
  start: SseStart;
}

/**
 * The kitchen stream: a snapshot of the open orders, or the changes after `after`. With
 * `station`, only orders with a line for it (the expo view without); with `requests`, service
 * requests too (for the floor's roles), the open ones in the snapshot as `requests`.
 */
export async function openKitchenStream(
  hub: LocationHub,
  after: string | null,
  options: { station?: string; requests?: boolean } = {},
): Promise<OpenedStream> {
  await hub.catalogLoaded();
  const subscription = await hub.subscribe({ after, ...options });
  const start = subscription.start;
  return {
    subscription,
    start: start.kind === "snapshot"
      ? {
        frames: [
          snapshotFrame(
            start.orders,
            start.cursor,
            hub.estimates(),
            start.requests,
            start.settings,
          ),
        ],
      }
      : { changes: [...start.changes] },
  };
}

/**
 * One order's stream: its current state, or its changes after `after`. Null when the order has
 * ended and the client has seen all of it (answered 204, so `EventSource` stops).
 */
export async function openOrderStream(
  kv: Deno.Kv,
  hub: LocationHub,
  request: { orderId: string; after: string | null },
): Promise<OpenedStream | null> {
  const { orderId } = request;
  await hub.catalogLoaded();
  const subscription = await hub.subscribe({ after: request.after, orderId });
  const start = subscription.start;
  let first: StreamFeedChange[] = [];
  if (start.kind === "replay") first = [...start.changes];
  else {
    const open = findById(start.orders, orderId);
    if (open) first = [asChange(open, start.cursor ?? "", hub.estimateOf(open))];
  }
  if (!first.length) {
    // Not open as of the hub's cursor: either created since (its changes are on their way) or
    // already ended. An ended order is final: take in every commit up to now and see.
    const current = await getOrder(kv, hub.locationId, orderId);
    if (current && !isOpen(current.status)) {
      await hub.sync();
      first = subscription.take();
      if (!first.length && start.kind === "snapshot") {
        first = [asChange(current, hub.cursor ?? start.cursor ?? "", null)];
      }
      if (!first.length) {
        subscription.close();
        return null;
      }
    }
  }
  return { subscription, start: { changes: first } };
}

/** Whether a guest's stream ends after this change. */
export function endsOrderStream(change: StreamFeedChange): boolean {
  return change.type === "order" && !isOpen(change.order.status);
}

/** An order in a list sorted by id, by binary search. */
function findById(orders: readonly Order[], id: string): Order | undefined {
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
function asChange(order: Order, id: string, estimatedReadyAt: string | null): OrderFeedChange {
  const [versionstamp] = id.split("-");
  return { type: "order", order, id, versionstamp, index: 0, estimatedReadyAt };
}

/**
 * What a live staff page renders first: the kitchen stream's snapshot as plain data (the open
 * orders with their estimates, for a floor screen the open requests) and the feed position it
 * is as of, from which the page's stream resumes, so nothing between the render and the
 * stream is lost or doubled.
 */
export async function kitchenStart(
  hub: LocationHub,
  options: { station?: string; requests?: boolean } = {},
): Promise<{
  orders: (Order & { estimatedReadyAt: string | null })[];
  requests: ServiceRequest[];
  cursor: string | null;
}> {
  await hub.catalogLoaded();
  const subscription = await hub.subscribe(options);
  const start = subscription.start;
  subscription.close();
  if (start.kind !== "snapshot") throw new Error("a fresh subscription starts with a snapshot");
  const estimates = hub.estimatesOf(start.orders);
  return {
    orders: start.orders.map((order, i) => ({ ...order, estimatedReadyAt: estimates[i] })),
    requests: [...(start.requests ?? [])],
    cursor: start.cursor,
  };
}
