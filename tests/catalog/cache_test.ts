/**
 * The in-memory catalog (lib/catalog.ts): menu and tables are served from memory, yet never stale
 * after an edit is acknowledged, in this process or, through the watch and the commit's check of
 * the catalog versionstamp, in another one.
 */
import assert from "node:assert/strict";
import { Catalog } from "../../lib/catalog/cache.ts";
import { newId } from "../../lib/kv/ids.ts";
import { catalogVersionKey, ordersPrefix } from "../../lib/kv/keys.ts";
import { newOrder, priceLines } from "../../lib/orders/pricing.ts";
import { commitOrderChanges } from "../../lib/orders/store.ts";
import type { Table } from "../../lib/schemas.ts";
import {
  type Api,
  call,
  changeMenuItem,
  changeTable,
  expect,
  menuItems,
  newTestServices,
  type OrderBody,
  postOrder,
  readMenu,
  readOrders,
  readTables,
  withoutRequiredOptions,
} from "../fixtures.ts";

/** A seeded store, its available items and tables, and what each step needs of it. */
async function setUp() {
  const t = await newTestServices();
  const items = withoutRequiredOptions(await menuItems(t, true));
  const tables = await readTables(t);
  return { t, items, tables };
}

/** Runs one step on a fresh store, closed whatever happens. */
async function onFreshStore(fn: (f: Awaited<ReturnType<typeof setUp>>) => Promise<void>) {
  const f = await setUp();
  try {
    await fn(f);
  } finally {
    f.t.close();
  }
}

function orderBody(tableToken: string, menuItemId: string): OrderBody {
  return { tableToken, items: [{ menuItemId, quantity: 2 }] };
}

/** An order that must be refused: the reply. */
async function refusedOrder(api: Api, tableToken: string, menuItemId: string) {
  return await call(api, "POST", "/api/orders", { body: orderBody(tableToken, menuItemId) });
}

/** An order that must be placed, checked against the menu `priceFrom` reads (default `api`'s). */
async function order(api: Api, tableToken: string, menuItemId: string, priceFrom: Api = api) {
  return await postOrder(api, orderBody(tableToken, menuItemId), { priceFrom });
}

async function menu(api: Api) {
  const reply = await call(api, "GET", "/api/menu?location=demo");
  expect(reply, 200);
  return { etag: reply.headers.get("etag"), body: reply.body };
}

Deno.test("[catalog] never stale after an acknowledged edit", async (t) => {
  await t.step("a PATCHed price is on the very next menu read and order", async () => {
    await onFreshStore(async ({ t: here, items, tables }) => {
      const item = items[0];
      const before = await menu(here); // cached from here on
      await order(here, tables[0].token, item.id);
      const changed = await changeMenuItem(here, item.id, { priceCents: item.priceCents + 111 });
      assert.deepEqual(changed, { ...item, priceCents: item.priceCents + 111 });
      const after = await menu(here);
      assert.notEqual(after.etag, before.etag);
      const listed = after.body.items.find((i: { id: string }) => i.id === item.id);
      assert.equal(listed.priceCents, item.priceCents + 111);
      // The rest of the menu is as it was.
      assert.deepEqual(after.body, {
        ...before.body,
        items: before.body.items.map((i: { id: string }) => i.id === item.id ? changed : i),
      });
      const body = await order(here, tables[0].token, item.id);
      assert.equal(body.items[0].unitPriceCents, item.priceCents + 111);
      assert.equal(body.totalCents, (item.priceCents + 111) * 2);
    });
  });

  await t.step("an 86'd item is refused by the very next order", async () => {
    await onFreshStore(async ({ t: here, items, tables }) => {
      const item = items[1];
      await order(here, tables[1].token, item.id);
      await changeMenuItem(here, item.id, { available: false });
      const refused = await refusedOrder(here, tables[1].token, item.id);
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, "item_unavailable");
      expect(refused, 409, "item_unavailable");
      assert.equal((await readOrders(here)).length, 1, "the refused order was stored");
    });
  });

  await t.step("a rotated table token stops working at once; the new one works", async () => {
    await onFreshStore(async ({ t: here, items, tables }) => {
      const table = tables[2];
      await order(here, table.token, items[0].id);
      // Checked: the new token and QR URL are read back, the old token refused, the new one works.
      const { token } = await changeTable(here, table.id, { rotateToken: true });
      assert.notEqual(token, table.token);
      assert.equal((await refusedOrder(here, table.token, items[0].id)).status, 401);
      assert.equal((await here.app.request(`/api/menu?table=${table.token}`)).status, 401);
      const placed = await order(here, token, items[0].id);
      assert.equal(placed.tableId, table.id);
      assert.equal((await here.app.request(`/api/menu?table=${token}`)).status, 200);
    });
  });

  await t.step("another process's edit prices the next order here, watch or no watch", async () => {
    await onFreshStore(async ({ t: here, items, tables }) => {
      const there = { ...here, app: (await here.otherProcess()).app };
      const item = items[2];
      await menu(here);
      await changeMenuItem(there, item.id, { priceCents: item.priceCents + 7 });
      // No waiting for the watch: if this process still holds the old menu, the commit's check
      // of the catalog versionstamp fails and the order is re-priced with the new one. Checked
      // against the menu as the process that made the edit reads it.
      const placed = await order(here, tables[3].token, item.id, there);
      assert.equal(placed.items[0].unitPriceCents, item.priceCents + 7);
    });
  });

  await t.step("the watch drops another process's stale menu from memory", async () => {
    await onFreshStore(async ({ t: here, items }) => {
      const there = { ...here, app: (await here.otherProcess()).app };
      const item = items[3];
      const before = await menu(here);
      await changeMenuItem(there, item.id, { name: "Renamed elsewhere" });
      let after = await menu(here);
      for (let i = 0; i < 100 && after.etag === before.etag; i++) {
        await new Promise((r) => setTimeout(r, 10));
        after = await menu(here);
      }
      assert.notEqual(after.etag, before.etag);
      assert.equal(
        after.body.items.find((i: { id: string }) => i.id === item.id).name,
        "Renamed elsewhere",
      );
      assert.deepEqual(after.body, (await menu(there)).body);
    });
  });

  await t.step("a commit priced with a stale snapshot is refused by the store", async () => {
    await onFreshStore(async ({ t: s, items, tables }) => {
      const catalog = new Catalog(s.kv);
      const other = new Catalog(s.kv);
      try {
        const stale = (await catalog.get(s.location.id))!;
        const item = items[4];
        await changeMenuItem(s, item.id, { priceCents: 1 });
        other.invalidate(s.location.id);
        const fresh = (await other.get(s.location.id))!;
        assert.notEqual(fresh.versionstamp, stale.versionstamp);
        assert.equal(
          fresh.versionstamp,
          (await s.kv.get(catalogVersionKey(s.location.id))).versionstamp,
        );
        const priced = priceLines([{ menuItemId: item.id, quantity: 1 }], stale.items);
        const table: Table = { ...tables[0], locationId: s.location.id, status: "available" };
        const staleOrder = newOrder({
          id: newId(),
          table,
          currency: "EUR",
          lines: priced.lines,
          totalCents: priced.totalCents,
          note: "",
          now: new Date(),
        });
        const options = { now: new Date(), retentionMs: 60_000 };
        const change = { order: staleOrder, previous: null };
        assert.equal(
          await commitOrderChanges(s.kv, [change], {
            ...options,
            catalogVersionstamp: stale.versionstamp,
          }),
          null,
        );
        let stored = 0;
        for await (const _ of s.kv.list({ prefix: ordersPrefix(s.location.id) })) stored++;
        assert.equal(stored, 0, "nothing priced with the old menu was written");
        assert.deepEqual(await readOrders(s), []);
        assert.equal(
          (await readMenu(s)).items.find((i: { id: string }) => i.id === item.id)
            .priceCents,
          1,
        );
      } finally {
        catalog.close();
        other.close();
      }
    });
  });
});
