/** The orders-by-table index, written behind the change feed (lib/orders/table_index.ts). */
import assert from "node:assert/strict";
import { eventsPrefix, ordersByTablePrefix, tableIndexCursorKey } from "../../lib/kv/keys.ts";
import { closeServices, createServices } from "../../lib/services.ts";
import type { TableIndexCursor } from "../../lib/orders/table_index.ts";
import { createApp } from "../../routes/app.ts";
import {
  menuItems,
  newTestServices,
  OWNER_TOKEN,
  patchOrder,
  placeOrder,
  tablesOf,
  type TestServices,
  withoutRequiredOptions,
} from "../fixtures.ts";

/** Every (table, order) pair in the index. */
async function indexed(t: TestServices): Promise<string[]> {
  const pairs: string[] = [];
  for (const table of await tablesOf(t)) {
    for await (const entry of t.kv.list({ prefix: ordersByTablePrefix(t.location.id, table.id) })) {
      pairs.push(`${table.id}/${String(entry.key.at(-1))}`);
    }
  }
  return pairs.sort();
}

function pairsOf(orders: { tableId: string; id: string }[]): string[] {
  return orders.map((o) => `${o.tableId}/${o.id}`).sort();
}

async function listByTable(app: { request: TestServices["app"]["request"] }, tableId: string) {
  const res = await app.request(`/api/orders?table=${tableId}&limit=200`, {
    headers: { authorization: `Bearer ${OWNER_TOKEN}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()).orders as { id: string; tableId: string }[];
}

Deno.test("[table_index] written behind the feed, complete when listed", async (t) => {
  await t.step("the order commit writes no entry; sync writes every one", async () => {
    const s = await newTestServices();
    try {
      s.services.tableIndex.close(); // no background sync: this step does it by hand
      const orders = await Promise.all(Array.from({ length: 30 }, () => placeOrder(s)));
      assert.deepEqual(await indexed(s), [], "the order commit wrote index entries");
      await s.services.tableIndex.sync(s.location.id);
      assert.deepEqual(await indexed(s), pairsOf(orders));
      // Moves are in the feed too, and add nothing.
      for (const order of orders.slice(0, 5)) {
        assert.equal((await patchOrder(s, order.id, "queued")).status, 200);
      }
      await s.services.tableIndex.sync(s.location.id);
      assert.deepEqual(await indexed(s), pairsOf(orders));
      const cursor = (await s.kv.get<TableIndexCursor>(tableIndexCursorKey(s.location.id))).value;
      let newest = "";
      for await (const entry of s.kv.list({ prefix: eventsPrefix(s.location.id) })) {
        newest = entry.key.at(-1) as string;
      }
      assert.equal(cursor?.position?.versionstamp, newest, "the cursor is the newest feed entry");
    } finally {
      s.close();
    }
  });

  await t.step("a background sync follows the commits by itself", async () => {
    const s = await newTestServices();
    try {
      const orders = await Promise.all(Array.from({ length: 10 }, () => placeOrder(s)));
      const deadline = Date.now() + 5_000;
      while ((await indexed(s)).length < orders.length && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(await indexed(s), pairsOf(orders));
    } finally {
      s.close();
    }
  });

  await t.step(
    "GET /orders?table= holds an order placed just before, here or elsewhere",
    async () => {
      const s = await newTestServices();
      const other = await createServices(s.kv, s.config);
      const otherApp = createApp(other);
      try {
        for (let round = 0; round < 5; round++) {
          const order = await placeOrder(s);
          for (const app of [s.app, otherApp]) {
            const listed = await listByTable(app, order.tableId);
            assert.equal(listed[0]?.id, order.id, "the newest order of its table comes first");
          }
        }
        // Orders placed by the other process are indexed here from the feed alone.
        other.tableIndex.close();
        const tables = await tablesOf(s);
        const itemIds = withoutRequiredOptions(await menuItems(s)).map((i) => i.id);
        const elsewhere = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            otherApp.request("/api/orders", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({
                tableToken: tables[i % tables.length].token,
                items: [{ menuItemId: itemIds[i % itemIds.length], quantity: 1 }],
              }),
            })),
        );
        for (const res of elsewhere) {
          assert.equal(res.status, 201);
          await res.body?.cancel();
        }
        await s.services.tableIndex.sync(s.location.id);
        const all = await s.kv.list({ prefix: ["order", s.location.id] });
        const stored: { tableId: string; id: string }[] = [];
        for await (const entry of all) {
          const order = JSON.parse(new TextDecoder().decode(entry.value as Uint8Array));
          stored.push({ tableId: order.tableId, id: order.id });
        }
        assert.deepEqual(await indexed(s), pairsOf(stored));
      } finally {
        closeServices(other);
        s.close();
      }
    },
  );

  await t.step("two processes syncing at once index everything once", async () => {
    const s = await newTestServices();
    const other = await createServices(s.kv, s.config);
    try {
      s.services.tableIndex.close();
      other.tableIndex.close();
      const orders = await Promise.all(Array.from({ length: 40 }, () => placeOrder(s)));
      await Promise.all([
        s.services.tableIndex.sync(s.location.id),
        other.tableIndex.sync(s.location.id),
        s.services.tableIndex.sync(s.location.id),
      ]);
      assert.deepEqual(await indexed(s), pairsOf(orders));
    } finally {
      closeServices(other);
      s.close();
    }
  });

  await t.step("a cursor older than the feed's retention is repaired from the orders", async () => {
    const s = await newTestServices({ SEATSERVE_EVENT_RETENTION_DAYS: "1" });
    try {
      s.services.tableIndex.close();
      const early = await Promise.all(Array.from({ length: 5 }, () => placeOrder(s)));
      await s.services.tableIndex.sync(s.location.id);
      const late = await Promise.all(Array.from({ length: 7 }, () => placeOrder(s)));
      // As after a day with no process running: the cursor is a day old and the feed entries
      // after it have expired unread.
      const key = tableIndexCursorKey(s.location.id);
      const cursor = (await s.kv.get<TableIndexCursor>(key)).value!;
      await s.kv.set(key, { ...cursor, at: Date.now() - 24 * 60 * 60 * 1000 });
      for await (const entry of s.kv.list({ prefix: eventsPrefix(s.location.id) })) {
        await s.kv.delete(entry.key);
      }
      await s.services.tableIndex.sync(s.location.id);
      assert.deepEqual(await indexed(s), pairsOf([...early, ...late]));
      const after = (await s.kv.get<TableIndexCursor>(key)).value!;
      assert.ok(Date.now() - after.at < 60_000, "the repaired cursor is fresh");
    } finally {
      s.close();
    }
  });
});
