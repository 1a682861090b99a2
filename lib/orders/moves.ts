/** Moving an order along its lifecycle: read, judge, and commit checked against what was read. */
import { conflict, forbidden, notFound } from "../errors.ts";
import { retryOnConflict } from "../kv/retry.ts";
import type { Role } from "../auth/roles.ts";
import { judgeMove, moveOrder, type OrderStatus } from "./lifecycle.ts";
import { commitOrderChanges, readOrder } from "./store.ts";
import type { Order } from "../schemas.ts";
import { type AuditContext, newAuditEntry } from "../audit/entry.ts";

/** A request to move an order. */
export interface MoveRequest {
  locationId: string;
  orderId: string;
  to: OrderStatus;
  role: Role;
  /** Who moves it, as recorded in `history[].by`. */
  by: string;
  /** The `If-Match` version, when the client sent one (negative: a weak tag, matching none). */
  expectedVersion?: number;
  retentionMs: number;
  /** Who moves it in which request, for the audit entry committed with the move. */
  audit: AuditContext;
}

/**
 * Moves an order to its next status: reads it, judges the move, and commits it checked against
 * the versionstamp it read. When two moves race, exactly one wins; the other re-reads and is then
 * judged against the new status.
 */
export async function moveOrderStatus(kv: Deno.Kv, request: MoveRequest): Promise<Order> {
  return await retryOnConflict(async () => {
    const stored = await readOrder(kv, request.locationId, request.orderId);
    if (!stored) throw notFound("Order");
    const current = stored.order;
    if (request.expectedVersion !== undefined && request.expectedVersion !== current.version) {
      throw conflict(
        "version_conflict",
        request.expectedVersion < 0
          ? `A weak ETag never matches If-Match; the order is at version ${current.version}.`
          : `The order is at version ${current.version}, not ${request.expectedVersion}.`,
      );
    }
    const verdict = judgeMove(current.status, request.to, request.role);
    if (verdict === "illegal") {
      throw conflict(
        "illegal_transition",
        `An order cannot move from ${current.status} to ${request.to}.`,
      );
    }
    if (verdict === "forbidden") {
      throw forbidden(
        `The ${request.role} role may not move an order from ${current.status} to ${request.to}.`,
      );
    }
    const now = new Date();
    const next = moveOrder(current, request.to, request.by, now);
    const entry = newAuditEntry(request.audit, request.locationId, {
      action: "order.transition",
      target: { type: "order", id: next.id },
      before: { status: current.status, version: current.version },
      after: { status: next.status, version: next.version },
    }, now);
    const committed = await commitOrderChanges(kv, [{ order: next, previous: stored }], {
      now,
      retentionMs: request.retentionMs,
      audit: [entry],
    });
    return committed ? next : null;
  });
}
