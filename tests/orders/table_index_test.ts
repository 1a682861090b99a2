/** The orders-by-table index, written in each new order's commit (lib/orders/store.ts). */
import assert from "node:assert/strict";
import { ordersByTablePrefix } from "../../lib/kv/keys.ts";
import { closeServices, createServices } from "../../lib/services.ts";
import { createApp } from "../../routes/app.ts";
import {
  newTestServices,
  OWNER_TOKEN,
  patchOrder,
  placeOrder,
  tablesOf,
  type TestServices,
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

Deno.test("[table_index] written with each new order", async (t) => {
  await t.step("every placed order is indexed by its commit; moves add nothing", async () => {
    const s = await newTestServices();
    try {
      const orders = await Promise.all(Array.from({ length: 30 }, () => placeOrder(s)));
      assert.deepEqual(await indexed(s), pairsOf(orders));
      for (const order of orders.slice(0, 5)) {
        assert.equal((await patchOrder(s, order.id, "queued")).status, 200);
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
            assert.ok(listed.every((o) => o.tableId === order.tableId), "only that table's orders");
          }
        }
      } finally {
        closeServices(other);
        s.close();
      }
    },
  );
});
