/**
 * The order lifecycle: which status may follow which, which role may make each move, which
 * statuses are still open, and the order after a move. Pure: no I/O, no clock of its own.
 */
import type { Role } from "../auth/roles.ts";
import type { Order } from "../schemas.ts";

/** Every order status, in lifecycle order. */
export const ORDER_STATUSES = [
  "pending",
  "queued",
  "preparing",
  "ready",
  "delivered",
  "closed",
  "cancelled",
] as const;
/** An order status. */
export type OrderStatus = typeof ORDER_STATUSES[number];

/** Whether an order in this status still matters to the kitchen and floor (not closed or cancelled). */
export function isOpen(status: OrderStatus): boolean {
  return status !== "closed" && status !== "cancelled";
}

/** The statuses of open orders, in lifecycle order. */
export const OPEN_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter(isOpen);

/**
 * The allowed moves. Each lists the line roles that may make it; owners and managers may make
 * every allowed move.
 */
const MOVES: Record<OrderStatus, Partial<Record<OrderStatus, readonly Role[]>>> = {
  pending: { queued: ["server"], cancelled: ["server"] },
  queued: { preparing: ["kitchen"], cancelled: ["server"] },
  preparing: { ready: ["kitchen"] },
  // Recall (API.md v1.1): a ticket bumped by mistake goes back to the kitchen.
  ready: { delivered: ["server"], preparing: ["kitchen"] },
  delivered: { closed: ["server"] },
  closed: {},
  cancelled: {},
};

/** The verdict on a requested move. */
export type MoveVerdict = "allowed" | "illegal" | "forbidden";

/** Decides whether `role` may move an order from `from` to `to`. */
export function judgeMove(from: OrderStatus, to: OrderStatus, role: Role): MoveVerdict {
  const roles = MOVES[from][to];
  if (!roles) return "illegal";
  if (role === "owner" || role === "manager" || roles.includes(role)) return "allowed";
  return "forbidden";
}

/**
 * The order after a move (already judged legal), one version on, with its history entry. Its
 * lines follow: a move to `ready` marks every line not yet ready as ready now, and a recall
 * (`ready → preparing`) brings every line back to not ready, so lines and status always agree.
 */
export function moveOrder(order: Order, to: OrderStatus, by: string, now: Date): Order {
  const at = now.toISOString();
  const recall = order.status === "ready" && to === "preparing";
  const items = to === "ready"
    ? order.items.map((line) => line.readyAt ? line : { ...line, readyAt: at })
    : recall
    ? order.items.map((line) => ({ ...line, readyAt: null }))
    : order.items;
  return {
    ...order,
    items,
    status: to,
    version: order.version + 1,
    updatedAt: at,
    history: [...order.history, { status: to, at, by }],
  };
}

/** Whether an order's lines may be marked ready or not ready (API.md: queued or preparing). */
export function linesOpen(status: OrderStatus): boolean {
  return status === "queued" || status === "preparing";
}

/** The verdict on a line change: the order after it, or `unchanged` (already so). */
export type LineChange = { kind: "changed"; order: Order } | { kind: "unchanged" } | {
  kind: "illegal";
} | { kind: "no_line" };

/**
 * Marks line `index` ready (or not ready, `ready: false`), one version on. A queued order moves
 * to `preparing` with its first ready line, and to `ready` with its last, each appended to the
 * history in the same change. Marking a ready line ready, or undoing one that is not, changes
 * nothing. Only a queued or preparing order's lines may change.
 */
export function changeLine(
  order: Order,
  change: { index: number; ready: boolean; by: string; now: Date },
): LineChange {
  if (!linesOpen(order.status)) return { kind: "illegal" };
  const line = order.items[change.index];
  if (!Number.isInteger(change.index) || !line) return { kind: "no_line" };
  if (Boolean(line.readyAt) === change.ready) return { kind: "unchanged" };
  const at = change.now.toISOString();
  const items = order.items.map((l, i) =>
    i === change.index ? { ...l, readyAt: change.ready ? at : null } : l
  );
  const history = [...order.history];
  let status = order.status;
  if (change.ready && status === "queued") {
    status = "preparing";
    history.push({ status, at, by: change.by });
  }
  if (change.ready && items.every((l) => l.readyAt)) {
    status = "ready";
    history.push({ status, at, by: change.by });
  }
  return {
    kind: "changed",
    order: { ...order, items, status, version: order.version + 1, updatedAt: at, history },
  };
}

/**
 * An order as a guest may see it: `history[].by` names only the role (`server`, `kitchen`…),
 * never the staff credential's id (which is what revokes it). Staff see the ids.
 */
export function guestView(order: Order): Order {
  if (!order.history.some((entry) => entry.by.includes(":"))) return order;
  return {
    ...order,
    history: order.history.map((entry) => ({ ...entry, by: entry.by.split(":")[0] })),
  };
}
