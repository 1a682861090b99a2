/**
 * The order store. Every order change, creation or move, is committed by `commitOrderChanges`:
 * one atomic op that checks what it read, writes the orders and their indexes, and appends the
 * change-feed entry (and, for a staff move, its audit entry). Routes never touch KV directly.
 */
import { decodeJson, encodeJson, NO_VALUE } from "../kv/codec.ts";
import { appendToFeed, type ChangeData } from "../feed/feed.ts";
import { addAuditEntry, auditChange, type AuditEntry } from "../audit/entry.ts";
import {
  catalogVersionKey,
  orderByStatusKey,
  orderByTableKey,
  orderChangeKey,
  orderChangesPrefix,
  orderKey,
  ordersByStatusPrefix,
  ordersByTablePrefix,
  ordersPrefix,
  tableActivityKey,
} from "../kv/keys.ts";
import { addClaim, type IdempotencyClaim } from "./idempotency.ts";
import { OPEN_STATUSES, type OrderStatus } from "./lifecycle.ts";
import type { Order } from "../schemas.ts";

/** An order as read from the store, with the versionstamp of its row. */
export interface StoredOrder {
  order: Order;
  versionstamp: string;
}

/** What `commitOrderChanges` writes of one changed order. */
export interface OrderWrite {
  /** The order as it is after the change. */
  order: Order;
  /** `encodeJson(order)`, when the caller has it already. */
  json?: Uint8Array;
  /** The order as it was read (its row's versionstamp is checked), or null for a new order. */
  previous: StoredOrder | null;
  /** For a new order with an `Idempotency-Key`: the key it claims. */
  idempotency?: IdempotencyClaim;
}

/** Options of a feed commit. */
export interface CommitOptions {
  now: Date;
  retentionMs: number;
  /** The catalog versionstamp the orders were priced against, checked so a stale menu cannot slip in. */
  catalogVersionstamp?: string | null;
  /** More writes and checks for the same atomic op; returns more changes for its feed entry. */
  addToCommit?: (op: Deno.AtomicOperation) => ChangeData[] | void;
  /** Other changes for the same feed entry (after the orders). */
  others?: ChangeData[];
  /** The staff mutation's audit entries, written in the same op (a guest's order has none). */
  audit?: readonly AuditEntry[];
}

/**
 * Commits changes to orders of one location in one atomic op, with one feed entry for all of
 * them. Returns the commit's versionstamp, which is also its feed entry's, or null when a check
 * failed (someone else wrote first); nothing is written then.
 */
export async function commitOrderChanges(
  kv: Deno.Kv,
  writes: OrderWrite[],
  options: CommitOptions,
): Promise<string | null> {
  const locationId = writes[0].order.locationId;
  const op = kv.atomic();
  if (options.catalogVersionstamp !== undefined) {
    op.check({ key: catalogVersionKey(locationId), versionstamp: options.catalogVersionstamp });
  }
  const encoded: Uint8Array[] = [];
  let lastTable: string | undefined;
  let tables: Set<string> | undefined;
  for (const { order, json, previous, idempotency } of writes) {
    if (order.locationId !== locationId) throw new Error("one commit holds one location's orders");
    const key = orderKey(locationId, order.id);
    // A new order's key is a fresh ULID, so only an existing order's read is checked; that keeps
    // KV's check budget (100 an op, 10 on denokv) for idempotency keys.
    if (previous) op.check({ key, versionstamp: previous.versionstamp });
    const value = json ?? encodeJson(order);
    encoded.push(value);
    op.set(key, value);
    if (previous && previous.order.status !== order.status) {
      op.delete(orderByStatusKey(locationId, previous.order.status, order.id));
    }
    // The entry of its previous change (which wrote the row read), for bounded guest resumes.
    if (previous) op.set(orderChangeKey(locationId, order.id, previous.versionstamp), NO_VALUE);
    op.set(orderByStatusKey(locationId, order.status, order.id), NO_VALUE);
    // An order never changes table: its table index entry is written once, with the order.
    if (!previous) {
      op.set(orderByTableKey(locationId, order.tableId, order.id), NO_VALUE);
      // The table's activity mark (once per table per commit): a visit's close checks it.
      if (order.tableId !== lastTable && !tables?.has(order.tableId)) {
        (tables ??= new Set()).add(order.tableId);
        op.set(tableActivityKey(locationId, order.tableId), NO_VALUE);
      }
      lastTable = order.tableId;
    }
    if (idempotency) addClaim(op, order, idempotency, options.now);
  }
  if (options.audit) { for (const entry of options.audit) addAuditEntry(op, entry); }
  const others = [
    ...(options.others ?? []),
    ...(options.audit ?? []).map(auditChange),
    ...(options.addToCommit?.(op) ?? []),
  ];
  appendToFeed(op, kv, locationId, {
    orders: encoded,
    ...(others.length ? { others } : {}),
    at: options.now.toISOString(),
    retentionMs: options.retentionMs,
  });
  const result = await op.commit();
  return result.ok ? result.versionstamp : null;
}

/** Reads one order, or null. */
export async function getOrder(
  kv: Deno.Kv,
  locationId: string,
  orderId: string,
): Promise<Order | null> {
  return (await readOrder(kv, locationId, orderId))?.order ?? null;
}

/** Reads one order with its row's versionstamp, or null. */
export async function readOrder(
  kv: Deno.Kv,
  locationId: string,
  orderId: string,
): Promise<StoredOrder | null> {
  const entry = await kv.get<Uint8Array>(orderKey(locationId, orderId));
  return entry.versionstamp
    ? { order: decodeJson<Order>(entry.value), versionstamp: entry.versionstamp }
    : null;
}

/** Filters and paging of an order listing. */
export interface OrderQuery {
  status?: OrderStatus;
  tableId?: string;
  /** Return orders older than this id (the previous page's cursor). */
  before?: string;
  limit: number;
}

/** Lists a location's orders newest first, with the id to continue from (null on the last page). */
export async function listOrders(
  kv: Deno.Kv,
  locationId: string,
  query: OrderQuery,
): Promise<{ orders: Order[]; next: string | null }> {
  // With both filters, walk the table's orders (the smaller set) and keep those in the status.
  const prefix = query.tableId
    ? ordersByTablePrefix(locationId, query.tableId)
    : query.status
    ? ordersByStatusPrefix(locationId, query.status)
    : ordersPrefix(locationId);
  const keep = (order: Order) => !query.status || order.status === query.status;
  const chunkSize = query.tableId && query.status ? 50 : query.limit + 1;
  const selector: Deno.KvListSelector = query.before
    ? { prefix, end: [...prefix, query.before] }
    : { prefix };
  const found: Order[] = [];
  let ids: string[] = [];
  const flush = async () => {
    found.push(...(await getOrdersById(kv, locationId, ids)).filter(keep));
    ids = [];
  };
  for await (const entry of kv.list(selector, { reverse: true, batchSize: chunkSize })) {
    ids.push(entry.key[entry.key.length - 1] as string);
    if (ids.length >= chunkSize) {
      await flush();
      if (found.length > query.limit) break;
    }
  }
  if (found.length <= query.limit) await flush();
  const orders = found.slice(0, query.limit);
  return { orders, next: found.length > query.limit ? orders[orders.length - 1].id : null };
}

/** Lists every open order of a location, oldest first. */
export async function listOpenOrders(kv: Deno.Kv, locationId: string): Promise<Order[]> {
  const ids: string[] = [];
  for (const status of OPEN_STATUSES) {
    for await (
      const entry of kv.list({ prefix: ordersByStatusPrefix(locationId, status) }, {
        batchSize: 1000,
      })
    ) {
      ids.push(entry.key[entry.key.length - 1] as string);
    }
  }
  ids.sort();
  return await getOrdersById(kv, locationId, ids);
}

/** Reads orders by id (KV allows 10 keys a read; reads run in parallel). Missing ones are skipped. */
export async function getOrdersById(
  kv: Deno.Kv,
  locationId: string,
  ids: string[],
): Promise<Order[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += 10) chunks.push(ids.slice(i, i + 10));
  const results = await Promise.all(
    chunks.map((chunk) => kv.getMany<Uint8Array[]>(chunk.map((id) => orderKey(locationId, id)))),
  );
  return results.flat().flatMap((entry) => (entry.value ? [decodeJson<Order>(entry.value)] : []));
}

/**
 * The versionstamps of the feed entries holding `orderId`'s changes, oldest first: its index
 * (`orderChangeKey`) and its row's own (the latest change). Reads one row and a few keys.
 */
export async function orderChangeStamps(
  kv: Deno.Kv,
  locationId: string,
  orderId: string,
): Promise<string[]> {
  const stamps = new Set<string>();
  const index = kv.list({ prefix: orderChangesPrefix(locationId, orderId) }, { limit: 1000 });
  for await (const { key } of index) stamps.add(key[key.length - 1] as string);
  const row = await kv.get(orderKey(locationId, orderId));
  if (row.versionstamp) stamps.add(row.versionstamp);
  return [...stamps].sort();
}
