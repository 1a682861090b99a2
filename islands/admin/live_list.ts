/**
 * The overview's live orders as a compact list (pure, for the server render and the island):
 * the open orders by status, each reduced to what the list shows, kept current from the
 * kitchen stream's `snapshot` and `order` events.
 */
import type { Order } from "../../lib/schemas.ts";

/** The statuses the list shows, in the order of the lifecycle (closed and cancelled leave it). */
export const LIVE_STATUSES = ["pending", "queued", "preparing", "ready", "delivered"] as const;
export type LiveStatus = typeof LIVE_STATUSES[number];

/** One order as the list shows it. */
export interface LiveOrder {
  id: string;
  tableNumber: number;
  status: LiveStatus;
  createdAt: string;
  items: number;
  totalCents: number;
}

function isLive(status: string): status is LiveStatus {
  return (LIVE_STATUSES as readonly string[]).includes(status);
}

/** An order as the list holds it, or null when it is no longer open. */
export function liveOrder(order: Order): LiveOrder | null {
  if (!isLive(order.status)) return null;
  return {
    id: order.id,
    tableNumber: order.tableNumber,
    status: order.status,
    createdAt: order.createdAt,
    items: order.items.reduce((n, line) => n + line.quantity, 0),
    totalCents: order.totalCents,
  };
}

/** The list from a snapshot of open orders, oldest first. */
export function liveList(orders: readonly Order[]): LiveOrder[] {
  return withOrder([], ...orders);
}

/** The list after `orders` changed (each the whole order): replaced, added or gone. */
export function withOrder(list: readonly LiveOrder[], ...orders: Order[]): LiveOrder[] {
  const byId = new Map(list.map((o) => [o.id, o]));
  for (const order of orders) {
    const live = liveOrder(order);
    if (live) byId.set(order.id, live);
    else byId.delete(order.id);
  }
  return [...byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}
