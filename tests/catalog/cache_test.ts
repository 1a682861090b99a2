/**
 * The in-memory catalog (lib/catalog.ts): menu and tables are served from memory, yet never stale
 * after an edit is acknowledged, in this process or, through the watch and the commit's check of
 * the catalog versionstamp, in another one.
 */
import assert from "node:assert/strict";
import { Catalog } from "../../lib/catalog/cache.ts";
import { CatalogService } from "../../lib/catalog/service.ts";
import { loadConfig } from "../../lib/config.ts";
import { newId } from "../../lib/kv/ids.ts";
import { catalogVersionKey, ordersPrefix } from "../../lib/kv/keys.ts";
import { listMenuItems } from "../../lib/catalog/menu.ts";
import { newOrder, priceLines } from "../../lib/orders/pricing.ts";
import { commitOrderChanges } from "../../lib/orders/store.ts";
import { seedDemo } from "../../lib/catalog/seed.ts";
import { closeServices, createServices, type Services } from "../../lib/services.ts";
import { listTables } from "../../lib/catalog/tables.ts";
import { createApp } from "../../routes/app.ts";
import { BOOTSTRAP, withoutRequiredOptions } from "../fixtures.ts";

const TOKEN = "catalog-test-owner";
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

async function setUp() {
  const kv = await Deno.openKv(":memory:");
  const location = (await seedDemo(kv))!;
  const config = loadConfig({
    SEATSERVE_KV_PATH: ":memory:",
    SEATSERVE_BOOTSTRAP_TOKEN: TOKEN,
    SEATSERVE_RATE_LIMIT: "off",
  });
  const opened: Services[] = [];
  const process = async () => {
    const services = await createServices(kv, config);
    opened.push(services);
    return { services, app: createApp(services) };
  };
  const items = withoutRequiredOptions(await listMenuItems(kv, location.id));
  const tables = await listTables(kv, location.id);
  return {
    kv,
    location,
    items,
    tables,
    process,
    close() {
      for (const s of opened) closeServices(s);
      kv.close();
    },
  };
}

function order(app: ReturnType<typeof createApp>, tableToken: string, menuItemId: string) {
  return app.request("/api/orders", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tableToken, items: [{ menuItemId, quantity: 2 }] }),
  });
}

async function menu(app: ReturnType<typeof createApp>) {
  const res = await app.request("/api/menu?location=demo");
  assert.equal(res.status, 200);
  return { etag: res.headers.get("etag"), body: await res.json() };
}

Deno.test("[catalog] never stale after an acknowledged edit", async (t) => {
  await t.step("a PATCHed price is on the very next menu read and order", async () => {
    const f = await setUp();
    try {
      const { app } = await f.process();
      const item = f.items[0];
      const before = await menu(app); // cached from here on
      await order(app, f.tables[0].token, item.id);
      const res = await app.request(`/api/menu/items/${item.id}`, {
        method: "PATCH",
        headers: auth,
        body: JSON.stringify({ priceCents: item.priceCents + 111 }),
      });
      assert.equal(res.status, 200);
      const after = await menu(app);
      assert.notEqual(after.etag, before.etag);
      const listed = after.body.items.find((i: { id: string }) => i.id === item.id);
      assert.equal(listed.priceCents, item.priceCents + 111);
      const placed = await order(app, f.tables[0].token, item.id);
      assert.equal(placed.status, 201);
      const body = await placed.json();
      assert.equal(body.items[0].unitPriceCents, item.priceCents + 111);
      assert.equal(body.totalCents, (item.priceCents + 111) * 2);
    } finally {
      f.close();
    }
  });

  await t.step("an 86'd item is refused by the very next order", async () => {
    const f = await setUp();
    try {
      const { app } = await f.process();
      const item = f.items[1];
      assert.equal((await order(app, f.tables[1].token, item.id)).status, 201);
      const res = await app.request(`/api/menu/items/${item.id}`, {
        method: "PATCH",
        headers: auth,
        body: JSON.stringify({ available: false }),
      });
      assert.equal(res.status, 200);
      const refused = await order(app, f.tables[1].token, item.id);
      assert.equal(refused.status, 409);
      assert.equal((await refused.json()).error.code, "item_unavailable");
    } finally {
      f.close();
    }
  });

  await t.step("a rotated table token stops working at once; the new one works", async () => {
    const f = await setUp();
    try {
      const { app } = await f.process();
      const table = f.tables[2];
      assert.equal((await order(app, table.token, f.items[0].id)).status, 201);
      const res = await app.request(`/api/tables/${table.id}`, {
        method: "PATCH",
        headers: auth,
        body: JSON.stringify({ rotateToken: true }),
      });
      assert.equal(res.status, 200);
      const { token } = await res.json();
      assert.notEqual(token, table.token);
      assert.equal((await order(app, table.token, f.items[0].id)).status, 401);
      assert.equal((await app.request(`/api/menu?table=${table.token}`)).status, 401);
      assert.equal((await order(app, token, f.items[0].id)).status, 201);
      assert.equal((await app.request(`/api/menu?table=${token}`)).status, 200);
    } finally {
      f.close();
    }
  });

  await t.step("another process's edit prices the next order here, watch or no watch", async () => {
    const f = await setUp();
    try {
      const here = await f.process();
      const there = await f.process();
      const item = f.items[2];
      await menu(here.app);
      const res = await there.app.request(`/api/menu/items/${item.id}`, {
        method: "PATCH",
        headers: auth,
        body: JSON.stringify({ priceCents: item.priceCents + 7 }),
      });
      assert.equal(res.status, 200);
      // No waiting for the watch: if this process still holds the old menu, the commit's check
      // of the catalog versionstamp fails and the order is re-priced with the new one.
      const placed = await order(here.app, f.tables[3].token, item.id);
      assert.equal(placed.status, 201);
      assert.equal((await placed.json()).items[0].unitPriceCents, item.priceCents + 7);
    } finally {
      f.close();
    }
  });

  await t.step("the watch drops another process's stale menu from memory", async () => {
    const f = await setUp();
    try {
      const here = await f.process();
      const there = await f.process();
      const item = f.items[3];
      const before = await menu(here.app);
      const res = await there.app.request(`/api/menu/items/${item.id}`, {
        method: "PATCH",
        headers: auth,
        body: JSON.stringify({ name: "Renamed elsewhere" }),
      });
      assert.equal(res.status, 200);
      let after = await menu(here.app);
      for (let i = 0; i < 100 && after.etag === before.etag; i++) {
        await new Promise((r) => setTimeout(r, 10));
        after = await menu(here.app);
      }
      assert.notEqual(after.etag, before.etag);
      assert.equal(
        after.body.items.find((i: { id: string }) => i.id === item.id).name,
        "Renamed elsewhere",
      );
    } finally {
      f.close();
    }
  });

  await t.step("a commit priced with a stale snapshot is refused by the store", async () => {
    const f = await setUp();
    const catalog = new Catalog(f.kv);
    const other = new Catalog(f.kv);
    try {
      const stale = (await catalog.get(f.location.id))!;
      const item = f.items[4];
      await new CatalogService(f.kv, { cache: other, retentionMs: 60_000 }).updateMenuItem(
        { by: BOOTSTRAP, locationId: f.location.id },
        item.id,
        { priceCents: 1 },
      );
      other.invalidate(f.location.id);
      const fresh = (await other.get(f.location.id))!;
      assert.notEqual(fresh.versionstamp, stale.versionstamp);
      assert.equal(
        fresh.versionstamp,
        (await f.kv.get(catalogVersionKey(f.location.id))).versionstamp,
      );
      const priced = priceLines([{ menuItemId: item.id, quantity: 1 }], stale.items);
      const staleOrder = newOrder({
        id: newId(),
        table: f.tables[0],
        currency: "EUR",
        lines: priced.lines,
        totalCents: priced.totalCents,
        note: "",
        now: new Date(),
      });
      const options = { now: new Date(), retentionMs: 60_000 };
      const change = { order: staleOrder, previous: null };
      assert.equal(
        await commitOrderChanges(f.kv, [change], {
          ...options,
          catalogVersionstamp: stale.versionstamp,
        }),
        null,
      );
      let stored = 0;
      for await (const _ of f.kv.list({ prefix: ordersPrefix(f.location.id) })) stored++;
      assert.equal(stored, 0, "nothing priced with the old menu was written");
    } finally {
      catalog.close();
      other.close();
      f.close();
    }
  });

  await t.step(
    "onChange hears this process's writes at once and others' through the watch",
    async () => {
      const f = await setUp();
      try {
        const here = await f.process();
        const there = await f.process();
        await menu(here.app); // loaded: the watch runs from here on
        const heard: string[] = [];
        const stop = here.services.catalog.onChange((id) => heard.push(id));
        const edit = (app: ReturnType<typeof createApp>, item: string, priceCents: number) =>
          app.request(`/api/menu/items/${item}`, {
            method: "PATCH",
            headers: auth,
            body: JSON.stringify({ priceCents }),
          });
        assert.equal((await edit(here.app, f.items[0].id, 101)).status, 200);
        assert.ok(heard.length >= 1, "told before the write was answered");
        heard.length = 0;
        // Another process's write, with a read here racing the watch: heard either way.
        assert.equal((await edit(there.app, f.items[1].id, 102)).status, 200);
        const read = await menu(here.app);
        for (let i = 0; i < 200 && !heard.length; i++) await new Promise((r) => setTimeout(r, 5));
        assert.deepEqual([...new Set(heard)], [f.location.id]);
        const fresh = (await here.services.catalog.get(f.location.id))!;
        assert.equal(fresh.items.get(f.items[1].id)!.priceCents, 102);
        assert.ok(read.body.items.length > 0);
        assert.equal(here.services.catalog.watchCount, 1);
        stop();
      } finally {
        f.close();
      }
    },
  );
});
