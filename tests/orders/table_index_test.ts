/** The orders-by-table index, written behind the change feed (lib/table_index.ts). */
import assert from "node:assert/strict";
import { eventsPrefix, ordersByTablePrefix, tableIndexCursorKey } from "../../lib/kv/keys.ts";
import type { TableIndexCursor } from "../../lib/orders/table_index.ts";
import {
  type Api,
  idsOf,
  menuItemIds,
  moveOrder,
  placeOrder,
  postOrder,
  readOrders,
  tablesOf,
  type TestServices,
  withServices,
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

/**
 * `GET /api/orders?table=` as `api` lists it, asserted to be exactly that table's orders of the
 * unfiltered list, newest first, none of another table's.
 */
async function listByTable(api: Api, tableId: string) {
  const listed = await readOrders(api, `table=${tableId}`);
  const all = await readOrders(api);
  assert.deepEqual(listed, all.filter((o) => o.tableId === tableId));
  assert.ok(listed.every((o) => o.tableId === tableId), "another table's order");
  return listed;
}

Deno.test("[table_index] written behind the feed, complete when listed", async (t) => {
  await t.step("the order commit writes no entry; sync writes every one", async () => {
    await withServices(async (s) => {
      s.services.tableIndex.close(); // no background sync: this step does it by hand
      const orders = await Promise.all(Array.from({ length: 30 }, () => placeOrder(s)));
      assert.deepEqual(await indexed(s), [], "the order commit wrote index entries");
      await s.services.tableIndex.sync(s.location.id);
      assert.deepEqual(await indexed(s), pairsOf(orders));
      // Moves are in the feed too, and add nothing.
      for (const order of orders.slice(0, 5)) {
        assert.equal((await moveOrder(s, order.id, "queued")).status, "queued");
      }
      await s.services.tableIndex.sync(s.location.id);
      assert.deepEqual(await indexed(s), pairsOf(orders));
      const cursor = (await s.kv.get<TableIndexCursor>(tableIndexCursorKey(s.location.id))).value;
      let newest = "";
      for await (const entry of s.kv.list({ prefix: eventsPrefix(s.location.id) })) {
        newest = entry.key.at(-1) as string;
      }
      assert.equal(cursor?.versionstamp, newest, "the cursor is the newest feed entry");
    });
  });

  await t.step("a background sync follows the commits by itself", async () => {
    await withServices(async (s) => {
      const orders = await Promise.all(Array.from({ length: 10 }, () => placeOrder(s)));
      const deadline = Date.now() + 5_000;
      while ((await indexed(s)).length < orders.length && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(await indexed(s), pairsOf(orders));
    });
  });

  await t.step(
    "GET /orders?table= holds an order placed just before, here or elsewhere",
    async () => {
      await withServices(async (s) => {
        const other = await s.otherProcess();
        const elsewhereApi = { ...s, app: other.app };
        for (let round = 0; round < 5; round++) {
          const order = await placeOrder(s);
          for (const api of [s, elsewhereApi]) {
            const listed = await listByTable(api, order.tableId);
            assert.equal(listed[0]?.id, order.id, "the newest order of its table comes first");
          }
        }
        // Orders placed by the other process are indexed here from the feed alone.
        other.services.tableIndex.close();
        const [tables, itemIds] = [await tablesOf(s), await menuItemIds(s)];
        const elsewhere = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            postOrder(elsewhereApi, {
              tableToken: tables[i % tables.length].token,
              items: [{ menuItemId: itemIds[i % itemIds.length], quantity: 1 }],
            })),
        );
        assert.equal(elsewhere.length, 6);
        await s.services.tableIndex.sync(s.location.id);
        const all = await s.kv.list({ prefix: ["order", s.location.id] });
        const stored: { tableId: string; id: string }[] = [];
        for await (const entry of all) {
          const order = JSON.parse(new TextDecoder().decode(entry.value as Uint8Array));
          stored.push({ tableId: order.tableId, id: order.id });
        }
        assert.deepEqual(await indexed(s), pairsOf(stored));
        // And listed here, each under its own table only.
        for (const order of elsewhere) {
          assert.ok(idsOf(await listByTable(s, order.tableId)).includes(order.id));
        }
      });
    },
  );

  await t.step("two processes syncing at once index everything once", async () => {
    await withServices(async (s) => {
      const { services: other } = await s.otherProcess();
      s.services.tableIndex.close();
      other.tableIndex.close();
      const orders = await Promise.all(Array.from({ length: 40 }, () => placeOrder(s)));
      await Promise.all([
        s.services.tableIndex.sync(s.location.id),
        other.tableIndex.sync(s.location.id),
        s.services.tableIndex.sync(s.location.id),
      ]);
      assert.deepEqual(await indexed(s), pairsOf(orders));
    });
  });

  await t.step("a cursor older than the feed's retention is repaired from the orders", async () => {
    await withServices(async (s) => {
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
    }, { SEATSERVE_EVENT_RETENTION_DAYS: "1" });
  });
});
