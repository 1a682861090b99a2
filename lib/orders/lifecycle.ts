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
  ready: { delivered: ["server"] },
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

/** The order after a move (already judged legal), one version on, with its history entry. */
export function moveOrder(order: Order, to: OrderStatus, by: string, now: Date): Order {
  const at = now.toISOString();
  return {
    ...order,
    status: to,
    version: order.version + 1,
    updatedAt: at,
    history: [...order.history, { status: to, at, by }],
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
