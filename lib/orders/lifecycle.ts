/**
 * The order lifecycle: which status may follow which, and which role may make each move.
 * Pure: no I/O, no clock.
 */
import type { Role } from "../auth/roles.ts";

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

/** Statuses after which nothing more happens to an order. */
export const FINAL_STATUSES: readonly OrderStatus[] = ["closed", "cancelled"];

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

/** The statuses an order in `from` may move to (for any role). */
export function nextStatuses(from: OrderStatus): OrderStatus[] {
  return Object.keys(MOVES[from]) as OrderStatus[];
}

/** Whether an order in this status still matters to the kitchen and floor. */
export function isOpen(status: OrderStatus): boolean {
  return !FINAL_STATUSES.includes(status);
}
