/**
 * Shared by the mirror's tests: services with the mirror on a test database, waiting for it to
 * catch up, and the rows Postgres must hold for what the store holds. Not a test file.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { newestPosition } from "../../lib/feed/feed.ts";
import { decodeJson } from "../../lib/kv/codec.ts";
import { ordersPrefix } from "../../lib/kv/keys.ts";
import { readMirrorCursor } from "../../lib/mirror/sink.ts";
import type { Order } from "../../lib/schemas.ts";
import { closeServices } from "../../lib/services.ts";
import { commitOrderChanges, readOrder } from "../../lib/orders/store.ts";
import { retryOnConflict } from "../../lib/kv/retry.ts";
import {
  newTestServices,
  patchOrder,
  pick,
  placeOrder,
  randomInt,
  type TestServices,
} from "../fixtures.ts";
import type { TestDatabase, TestPostgres } from "./postgres_fixture.ts";

/** Seeded services whose mirror writes to a fresh database of `pg`. */
export async function mirroredServices(
  pg: TestPostgres,
  overrides: Record<string, string> = {},
): Promise<{ s: TestServices; db: TestDatabase; close(): Promise<void> }> {
  const db = await pg.database();
  const s = await newTestServices({
    DATABASE_URL: db.url,
    SEATSERVE_MIRROR_WORKER: "inline",
    ...overrides,
  });
  return {
    s,
    db,
    async close() {
      await closeServices(s.services);
      s.kv.close();
      await db.drop();
    },
  };
}

/** Waits until the mirror's cursor is at the location's newest feed entry. */
export async function waitCaughtUp(
  kv: Deno.Kv,
  sql: postgres.Sql,
  locationId: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const newest = await newestPosition(kv, locationId);
    const cursor = await readMirrorCursor(sql, locationId).catch(() => null);
    if (
      cursor?.position && newest && cursor.position.versionstamp === newest.versionstamp &&
      cursor.position.index === newest.index
    ) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the mirror did not catch up: cursor ${JSON.stringify(cursor)}, head ${
          JSON.stringify(newest)
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every order of a location as stored. */
export async function storedOrders(kv: Deno.Kv, locationId: string): Promise<Order[]> {
  const orders: Order[] = [];
  for await (const entry of kv.list<Uint8Array>({ prefix: ordersPrefix(locationId) })) {
    orders.push(decodeJson<Order>(entry.value));
  }
  return orders;
}

/** The rows of orders, lines and history that the mirror must hold for `orders`. */
export function expectedRows(orders: Order[]) {
  const byId = (a: { id: string }, b: { id: string }) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  const sorted = [...orders].sort(byId);
  return {
    orders: sorted.map((o) => ({
      id: o.id,
      location_id: o.locationId,
      table_id: o.tableId,
      table_number: o.tableNumber,
      status: o.status,
      version: o.version,
      total_cents: o.totalCents,
      currency: o.currency,
      note: o.note,
      line_count: o.items.length,
      item_count: o.items.reduce((n, l) => n + l.quantity, 0),
      created_at: o.createdAt,
      updated_at: o.updatedAt,
    })),
    lines: sorted.flatMap((o) =>
      o.items.map((l, i) => {
        const line = l as typeof l & {
          options?: unknown[];
          station?: string;
          readyAt?: string | null;
        };
        return {
          order_id: o.id,
          line_no: i,
          order_version: o.version,
          menu_item_id: l.menuItemId,
          name: l.name,
          quantity: l.quantity,
          unit_price_cents: l.unitPriceCents,
          line_total_cents: l.lineTotalCents,
          note: l.note,
          options: line.options ?? [],
          station: line.station ?? "kitchen",
          ready_at: line.readyAt ?? null,
        };
      })
    ),
    history: sorted.flatMap((o) =>
      o.history.map((h, i) => ({ order_id: o.id, seq: i, status: h.status, at: h.at, by: h.by }))
    ),
  };
}

/** The rows the mirror holds for a location, in the shape of `expectedRows`. */
export async function mirroredRows(sql: postgres.Sql, locationId: string) {
  const iso = (d: Date | null) => d === null ? null : d.toISOString();
  // deno-lint-ignore no-explicit-any
  type Row = Record<string, any>;
  const orders = await sql<Row[]>`
    SELECT id, location_id, table_id, table_number, status, version, total_cents, currency, note,
           line_count, item_count, created_at, updated_at
    FROM orders WHERE location_id = ${locationId} ORDER BY id`;
  const lines = await sql<Row[]>`
    SELECT order_id, line_no, order_version, menu_item_id, name, quantity, unit_price_cents,
           line_total_cents, note, options, station, ready_at
    FROM order_lines WHERE location_id = ${locationId} ORDER BY order_id, line_no`;
  const history = await sql<Row[]>`
    SELECT order_id, seq, status, at, by FROM order_status_changes
    WHERE location_id = ${locationId} ORDER BY order_id, seq`;
  return {
    orders: orders.map((r): Row => ({
      ...r,
      total_cents: Number(r.total_cents),
      created_at: iso(r.created_at),
      updated_at: iso(r.updated_at),
    })),
    lines: lines.map((r): Row => ({
      ...r,
      unit_price_cents: Number(r.unit_price_cents),
      line_total_cents: Number(r.line_total_cents),
      ready_at: iso(r.ready_at),
    })),
    history: history.map((r): Row => ({ ...r, at: iso(r.at) })),
  };
}

/** Asserts that Postgres holds exactly the location's orders, lines and history as stored. */
export async function assertMirrorEqualsStore(
  kv: Deno.Kv,
  sql: postgres.Sql,
  locationId: string,
): Promise<{ orders: number; lines: number; history: number }> {
  const expected = expectedRows(await storedOrders(kv, locationId));
  const actual = await mirroredRows(sql, locationId);
  assert.equal(actual.orders.length, expected.orders.length, "order rows");
  assert.deepEqual(actual.orders, expected.orders);
  assert.equal(actual.lines.length, expected.lines.length, "line rows");
  assert.deepEqual(actual.lines, expected.lines);
  assert.equal(actual.history.length, expected.history.length, "history rows");
  assert.deepEqual(actual.history, expected.history);
  return {
    orders: expected.orders.length,
    lines: expected.lines.length,
    history: expected.history.length,
  };
}

const NEXT: Record<string, string[]> = {
  pending: ["queued", "queued", "queued", "cancelled"],
  queued: ["preparing", "preparing", "preparing", "cancelled"],
  preparing: ["ready"],
  ready: ["delivered"],
  delivered: ["closed"],
};
const STATIONS = ["kitchen", "grill", "bar"];

/** Marks a random line ready (as line readiness will), with a station and an option: one order change. */
export async function bumpLine(s: TestServices, orderId: string): Promise<void> {
  await retryOnConflict(async () => {
    const stored = await readOrder(s.kv, s.location.id, orderId);
    if (!stored) throw new Error("no order");
    const now = new Date();
    const k = randomInt(stored.order.items.length);
    const next: Order = {
      ...stored.order,
      version: stored.order.version + 1,
      updatedAt: now.toISOString(),
      items: stored.order.items.map((line, i) =>
        i === k
          ? {
            ...line,
            readyAt: now.toISOString(),
            station: pick(STATIONS),
            options: [{
              groupId: "g",
              group: "Size",
              optionId: "big",
              name: "Large",
              priceDeltaCents: 100,
            }],
          }
          : line
      ),
    };
    const ok = await commitOrderChanges(s.kv, [{ order: next, previous: stored }], {
      now,
      retentionMs: s.config.eventRetentionMs,
    });
    return ok ? true : null;
  });
}

/** One order's life: placed, then a few random moves and line bumps. */
export async function randomLife(s: TestServices, onPlaced?: () => void): Promise<void> {
  const order = await placeOrder(s);
  onPlaced?.();
  let status: string = order.status;
  for (let step = 0; step < 6; step++) {
    const r = Math.random();
    if (r < 0.2) {
      await bumpLine(s, order.id);
      continue;
    }
    if (r < 0.35 || !NEXT[status]) return;
    const to = pick(NEXT[status]);
    const res = await patchOrder(s, order.id, to);
    assert.equal(res.status, 200, await res.text());
    status = to;
  }
}

/** Runs `total` random lives, `concurrency` at a time; `onPlaced` after each placement. */
export async function burst(
  s: TestServices,
  total: number,
  options: { concurrency: number; onPlaced?: (placed: number) => void },
): Promise<void> {
  let started = 0;
  let placed = 0;
  await Promise.all(Array.from({ length: options.concurrency }, async () => {
    while (started < total) {
      started++;
      await randomLife(s, () => options.onPlaced?.(++placed));
    }
  }));
}
