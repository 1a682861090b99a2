/**
 * The visit store. Nothing is written when an order opens or joins a visit: every new order's
 * commit writes its table index entry (whose versionstamp is that commit's) and sets the table's
 * activity mark. A close writes the table's visit boundary, checked against the activity mark it
 * read, so no order commits between reading the visit and closing it. The boundary's versionstamp
 * then divides the table's orders exactly: those committed before it belong to closed visits,
 * those after to the open one. The order group commit keeps its speed: one small write per table
 * per commit, no read and no check.
 */
import { decodeTime } from "ulid";
import { conflict, notFound } from "../errors.ts";
import { appendToFeed, type ChangeData } from "../feed/feed.ts";
import { ordersByTablePrefix, tableActivityKey, visitBoundaryKey, visitKey } from "../kv/keys.ts";
import { retryOnConflict } from "../kv/retry.ts";
import { getOrdersById } from "../orders/store.ts";
import type { Order, Table } from "../schemas.ts";
import { closedVisit, openVisit, unsettled, type Visit } from "./visit.ts";

/** Where a table's last visit ended. */
interface Boundary {
  visitId: string;
  closedAt: string;
}

/**
 * How much older than the last close an order's id (its pricing time) may be and still belong
 * to the open visit: an order is committed within seconds of being priced, so a scan of the
 * table's orders newest first stops this far before the close.
 */
const SCAN_SLACK_MS = 15 * 60_000;
/** With no close yet, the open visit holds the table's orders of the last day at most. */
const FIRST_VISIT_WINDOW_MS = 24 * 60 * 60_000;
/** Most orders one visit holds (a bill longer than this is cut; none is near it). */
const MAX_VISIT_ORDERS = 1_000;

/** When an order id (a ULID) was made; an id that is not one counts as new. */
function idTime(id: string): number {
  try {
    return decodeTime(id);
  } catch {
    return Infinity;
  }
}

/** The open visit of a table and the marks it was read at. */
interface OpenRead {
  visit: Visit | null;
  orders: Order[];
  activity: Deno.KvEntryMaybe<unknown>;
  boundary: Deno.KvEntryMaybe<Boundary>;
}

/** Whether an order was committed after the boundary (an order of the open visit). */
function after(versionstamp: string, boundary: Deno.KvEntryMaybe<Boundary>): boolean {
  return !boundary.versionstamp || versionstamp > boundary.versionstamp;
}

async function readOpen(kv: Deno.Kv, locationId: string, tableId: string): Promise<OpenRead> {
  const [activity, boundary] = await kv.getMany<[unknown, Boundary]>([
    tableActivityKey(locationId, tableId),
    visitBoundaryKey(locationId, tableId),
  ]);
  if (!activity.versionstamp || !after(activity.versionstamp, boundary)) {
    return { visit: null, orders: [], activity, boundary };
  }
  const floor = boundary.value
    ? Date.parse(boundary.value.closedAt) - SCAN_SLACK_MS
    : Date.now() - FIRST_VISIT_WINDOW_MS;
  const members: { id: string; versionstamp: string }[] = [];
  for await (
    const entry of kv.list({ prefix: ordersByTablePrefix(locationId, tableId) }, {
      reverse: true,
      batchSize: 100,
    })
  ) {
    const id = entry.key[entry.key.length - 1] as string;
    if (idTime(id) < floor || members.length >= MAX_VISIT_ORDERS) break;
    if (after(entry.versionstamp, boundary)) members.push({ id, versionstamp: entry.versionstamp });
  }
  // Commit order (ids break ties within one commit).
  members.sort((a, b) =>
    a.versionstamp < b.versionstamp
      ? -1
      : a.versionstamp > b.versionstamp
      ? 1
      : a.id < b.id
      ? -1
      : 1
  );
  const byId = new Map(
    (await getOrdersById(kv, locationId, members.map((m) => m.id))).map((o) => [o.id, o]),
  );
  const orders = members.flatMap((m) => byId.get(m.id) ?? []);
  return { visit: orders.length ? openVisit(orders) : null, orders, activity, boundary };
}

/** A table's open visit, or null when it has none (the table is free). */
export async function getOpenVisit(
  kv: Deno.Kv,
  locationId: string,
  tableId: string,
): Promise<Visit | null> {
  return (await readOpen(kv, locationId, tableId)).visit;
}

/** A table's open visit, else its last closed one, else null. */
export async function getLatestVisit(
  kv: Deno.Kv,
  locationId: string,
  tableId: string,
): Promise<Visit | null> {
  const { visit, boundary } = await readOpen(kv, locationId, tableId);
  if (visit || !boundary.value) return visit;
  return (await kv.get<Visit>(visitKey(locationId, boundary.value.visitId))).value;
}

/**
 * Which of these tables have an open visit (are `occupied`): one read of two small keys each.
 */
export async function occupiedTables(
  kv: Deno.Kv,
  locationId: string,
  tableIds: readonly string[],
): Promise<Set<string>> {
  const occupied = new Set<string>();
  const chunks: string[][] = [];
  for (let i = 0; i < tableIds.length; i += 5) chunks.push(tableIds.slice(i, i + 5));
  await Promise.all(chunks.map(async (chunk) => {
    const entries = await kv.getMany<unknown[]>(
      chunk.flatMap((id) => [tableActivityKey(locationId, id), visitBoundaryKey(locationId, id)]),
    );
    chunk.forEach((id, i) => {
      const activity = entries[2 * i];
      const boundary = entries[2 * i + 1] as Deno.KvEntryMaybe<Boundary>;
      if (activity.versionstamp && after(activity.versionstamp, boundary)) occupied.add(id);
    });
  }));
  return occupied;
}

/** A table as read: `occupied` while it has an open visit (a free table reads as stored). */
export function withOccupancy<T extends Pick<Table, "id" | "status">>(
  table: T,
  occupied: Set<string>,
): T {
  return occupied.has(table.id) && table.status === "available"
    ? { ...table, status: "occupied" }
    : table;
}

/**
 * Closes a table's open visit: 409 `no_open_visit` without one, 409 `visit_has_open_orders` while
 * one of its orders is neither delivered nor cancelled. The close is one commit checked against
 * the activity mark and boundary it read (an order placed meanwhile makes it read again), with a
 * `visit` change on the feed. `addToCommit` adds to the same atomic op (the audit entry).
 */
export async function closeVisit(
  kv: Deno.Kv,
  request: {
    locationId: string;
    tableId: string;
    by: string;
    retentionMs: number;
    /** More for the same atomic op (an audit entry); returns changes for its feed entry. */
    addToCommit?: (op: Deno.AtomicOperation, closed: Visit) => ChangeData[] | void;
  },
): Promise<Visit> {
  const { locationId, tableId } = request;
  return await retryOnConflict(async () => {
    const read = await readOpen(kv, locationId, tableId);
    if (!read.visit) throw conflict("no_open_visit", "This table has no open visit to close.");
    const waiting = unsettled(read.orders);
    if (waiting.length) {
      throw conflict(
        "visit_has_open_orders",
        `${waiting.length} order(s) of this visit are not delivered or cancelled yet.`,
        waiting.map((o) => ({ path: `orders.${o.id}`, message: `Order is ${o.status}.` })),
      );
    }
    const now = new Date();
    const closed = closedVisit(read.visit, request.by, now);
    const boundary: Boundary = { visitId: closed.id, closedAt: closed.closedAt! };
    const op = kv.atomic()
      .check(read.activity)
      .check(read.boundary)
      .set(visitBoundaryKey(locationId, tableId), boundary)
      .set(visitKey(locationId, closed.id), closed);
    const more = request.addToCommit?.(op, closed) ?? [];
    appendToFeed(op, kv, locationId, {
      at: closed.closedAt!,
      retentionMs: request.retentionMs,
      others: [{ type: "visit", visit: closed }, ...more],
    });
    return (await op.commit()).ok ? closed : null;
  });
}

/** The table exists in the location, else a 404. */
export function assertTable(table: Table | null): Table {
  if (!table) throw notFound("Table");
  return table;
}
