/**
 * What a live staff screen holds: the location's orders and open service requests, as the
 * kitchen stream tells them. Pure and immutable (each change gives a new board, for Preact):
 * a `snapshot` replaces everything, an `order` or `request` event upserts by id and is ignored
 * when it is older than the version held, so a replay after a reconnect, or a tap's answer
 * arriving beside the stream's event, never loses or doubles a ticket nor moves one back. A
 * `settings` event replaces the screen settings it holds (until then, none: the render's).
 */
import type { Order } from "../../lib/schemas.ts";
import type { ServiceRequest } from "../../lib/floor/requests.ts";
import type { ScreenSettings } from "../../lib/kitchen/settings.ts";

/** An order as streamed, with its derived estimate. */
export type LiveOrder = Order & { estimatedReadyAt?: string | null };

/** Orders and requests by id. Closed, cancelled and acknowledged ones stay as tombstones. */
export interface Board {
  orders: Readonly<Record<string, LiveOrder>>;
  requests: Readonly<Record<string, ServiceRequest>>;
  /** The settings as the stream last sent them; absent: as the page was rendered with. */
  settings?: ScreenSettings;
}

/** The board a `snapshot` event's data describes. */
export function fromSnapshot(
  data: { orders: readonly LiveOrder[]; requests?: readonly ServiceRequest[] },
): Board {
  const orders: Record<string, LiveOrder> = {};
  for (const order of data.orders) orders[order.id] = order;
  const requests: Record<string, ServiceRequest> = {};
  for (const request of data.requests ?? []) requests[request.id] = request;
  return { orders, requests };
}

/** The board with `order` in it, unless it holds a newer version of it already. */
export function withOrder(board: Board, order: LiveOrder): Board {
  const held = board.orders[order.id];
  if (held && held.version > order.version) return board;
  return { ...board, orders: { ...board.orders, [order.id]: order } };
}

/** The board with `request` in it, unless it holds a newer version of it already. */
export function withRequest(board: Board, request: ServiceRequest): Board {
  const held = board.requests[request.id];
  if (held && held.version > request.version) return board;
  return { ...board, requests: { ...board.requests, [request.id]: request } };
}

/**
 * The board after one stream event; unknown events change nothing. A snapshot replaces the
 * orders, the requests and the settings it carries (one without keeps those held).
 */
export function applyEvent(board: Board, event: string, data: unknown): Board {
  if (event === "snapshot") {
    const fresh = fromSnapshot(data as Parameters<typeof fromSnapshot>[0]);
    const settings = (data as { settings?: ScreenSettings }).settings ?? board.settings;
    return settings ? { ...fresh, settings } : fresh;
  }
  if (event === "settings") return { ...board, settings: data as ScreenSettings };
  if (event === "order") return withOrder(board, data as LiveOrder);
  if (event === "request") return withRequest(board, data as ServiceRequest);
  return board;
}

/** The open orders (not closed or cancelled), oldest first. */
export function openOrders(board: Board): LiveOrder[] {
  return Object.values(board.orders)
    .filter((o) => o.status !== "closed" && o.status !== "cancelled")
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

/** The open service requests, oldest first. */
export function openRequests(board: Board): ServiceRequest[] {
  return Object.values(board.requests)
    .filter((r) => r.status === "open")
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
}

/** When an order entered `status` last (its history's latest entry for it), or its creation. */
export function enteredAt(order: Order, status: Order["status"]): string {
  for (let i = order.history.length - 1; i >= 0; i--) {
    if (order.history[i].status === status) return order.history[i].at;
  }
  return order.createdAt;
}
