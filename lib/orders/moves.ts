/** Moving an order along its lifecycle: read, judge, and commit checked against what was read. */
import { conflict, forbidden, notFound } from "../errors.ts";
import { retryOnConflict } from "../kv/retry.ts";
import type { Role } from "../auth/roles.ts";
import { changeLine, judgeMove, moveOrder, type OrderStatus } from "./lifecycle.ts";
import { commitOrderChanges, readOrder } from "./store.ts";
import type { Order } from "../schemas.ts";
import type { ChangeData } from "../feed/feed.ts";
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
    assertVersion(current, request.expectedVersion);
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

/** A request to mark one line of an order ready, or not ready. */
export interface LineRequest {
  locationId: string;
  orderId: string;
  index: number;
  ready: boolean;
  by: string;
  /** The `If-Match` version, when the client sent one (negative: a weak tag, matching none). */
  expectedVersion?: number;
  retentionMs: number;
  /**
   * More for the same atomic op when the line really changes (an audit entry); returns changes
   * for its feed entry.
   */
  addToCommit?: (op: Deno.AtomicOperation, before: Order, after: Order) => ChangeData[] | void;
}

/**
 * Marks a line ready or not ready through the one order write path: read, judge with
 * `changeLine`, commit checked against the versionstamp read. Of concurrent bumps of one line
 * exactly one commits; the others re-read, find it done and change nothing. Returns the order
 * and whether this call changed it.
 */
export async function changeLineReadiness(
  kv: Deno.Kv,
  request: LineRequest,
): Promise<{ order: Order; changed: boolean }> {
  return await retryOnConflict(async () => {
    const stored = await readOrder(kv, request.locationId, request.orderId);
    if (!stored) throw notFound("Order");
    assertVersion(stored.order, request.expectedVersion);
    const now = new Date();
    const verdict = changeLine(stored.order, { ...request, now });
    if (verdict.kind === "no_line") throw notFound(`Line ${request.index} of the order`);
    if (verdict.kind === "illegal") {
      throw conflict(
        "illegal_transition",
        `The lines of a ${stored.order.status} order cannot change; only those of a queued or ` +
          "preparing order.",
      );
    }
    if (verdict.kind === "unchanged") return { order: stored.order, changed: false };
    const addToCommit = request.addToCommit;
    const committed = await commitOrderChanges(kv, [{ order: verdict.order, previous: stored }], {
      now,
      retentionMs: request.retentionMs,
      addToCommit: addToCommit && ((op) => addToCommit(op, stored.order, verdict.order)),
    });
    return committed ? { order: verdict.order, changed: true } : null;
  });
}

/** An `If-Match` that names another version than the order's: 409 `version_conflict`. */
function assertVersion(current: Order, expected: number | undefined): void {
  if (expected === undefined || expected === current.version) return;
  throw conflict(
    "version_conflict",
    expected < 0
      ? `A weak ETag never matches If-Match; the order is at version ${current.version}.`
      : `The order is at version ${current.version}, not ${expected}.`,
  );
}
