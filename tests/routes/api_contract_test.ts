/**
 * The HTTP contract (shared/API.md), endpoint by endpoint, as a client that reads only that page
 * would call it: methods and paths, role rules, statuses, response shapes, ETags, QR codes, health,
 * `?location=` for multi-location tokens, device tokens and their revocation, and the one error
 * body for everything a client may send. Through `app.request()` on a seeded `:memory:` store.
 */
import assert from "node:assert/strict";
import type { QRCode } from "jsqr";
import jsqrModule from "jsqr";
import { listMenuItems } from "../../lib/catalog/menu.ts";
import { seedDemo } from "../../lib/catalog/seed.ts";
import { listTables } from "../../lib/catalog/tables.ts";
import {
  addLocation,
  addMenuItem,
  addTable,
  assertErrorBody,
  assertPlaced,
  assertTokenActsAs,
  asViewed,
  BOOTSTRAP,
  BOOTSTRAP_AUDIT,
  call,
  changeMenuItem,
  changeTable,
  deviceToken,
  expect,
  expectedMove,
  idsOf,
  type Json,
  menuItemIds,
  menuItems,
  moveOrder,
  OWNER_BY,
  OWNER_TOKEN,
  placeOrder,
  readLocations,
  readMenu,
  readMenuItem,
  readOrder,
  readOrders,
  readTable,
  readTables,
  tableToken,
  type TestServices,
  withoutEstimate,
  withServices,
} from "../fixtures.ts";

/** `jsqr` is CommonJS: at run time its default export is the decoder itself. */
const jsQR = ((jsqrModule as { default?: unknown }).default ?? jsqrModule) as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => QRCode | null;

/** A menu item's keys in a guest's menu (`prepMinutes` only when set). */
const MENU_VIEW_KEYS = ["allergens", "available", "category", "description", "dietary", "id"]
  .concat("name", "optionGroups", "priceCents", "station").sort();
/** A menu item's keys as stored and as the menu endpoints answer. */
const MENU_ITEM_KEYS = [...MENU_VIEW_KEYS, "translations"].sort();
const keysBut = (object: Json, optional: string) =>
  Object.keys(object).filter((k) => k !== optional).sort();
const ORDER_KEYS = [
  "createdAt",
  "currency",
  "estimatedReadyAt",
  "history",
  "id",
  "items",
  "locationId",
  "note",
  "status",
  "tableId",
  "tableNumber",
  "totalCents",
  "updatedAt",
  "version",
].sort();

/** Creates a second location (bootstrap token), checked, and returns it. */
async function secondLocation(t: TestServices, slug = "second"): Promise<Json> {
  return await addLocation(t, { slug, name: "Second Place", currency: "USD" });
}

Deno.test("[api] GET /health", async (t) => {
  await t.step("200 {status: ok} when the store answers", async () => {
    await withServices(async (s) => {
      const body = expect(await call(s, "GET", "/api/health"), 200);
      assert.equal(body.status, "ok");
    });
  });
  await t.step("503 with the same shape when the store does not answer", async () => {
    await withServices(async (s) => {
      const ok = await s.app.request("/api/health");
      const okBody = await ok.json();
      s.kv.close();
      const down = await s.app.request("/api/health");
      assert.equal(down.status, 503);
      const body = await down.json();
      assert.deepEqual(Object.keys(body).sort(), Object.keys(okBody).sort());
      assert.notEqual(body.status, "ok");
    });
  });
});

Deno.test("[api] security headers: four for API answers (five over https), the full browser set for pages", async () => {
  await withServices(async (s) => {
    const api = [
      await call(s, "GET", "/api/menu?location=demo"),
      await call(s, "GET", "/api/tables"), // a 401
      await call(s, "GET", "/api/no-such-route"), // a 404
    ];
    // An event stream is a raw `Response` built outside Hono's context: it gets them too.
    const stream = await s.app.request("/api/menu/stream?location=demo");
    await stream.body?.cancel();
    api.push({ status: stream.status, headers: stream.headers, text: "", body: null });
    for (const reply of api) {
      assert.match(reply.headers.get("x-request-id") ?? "", /^[0-9A-Z]{26}$/);
      assert.equal(reply.headers.get("x-content-type-options"), "nosniff");
      assert.equal(reply.headers.get("x-frame-options"), "DENY");
      assert.equal(reply.headers.get("referrer-policy"), "no-referrer");
      // Plain http: HSTS would mean nothing to a browser (RFC 6797), and is not sent.
      assert.equal(reply.headers.get("strict-transport-security"), null);
      assert.match(reply.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      assert.equal(reply.headers.get("x-xss-protection"), null, "a page header on an API answer");
    }
    // Over https (this server's TLS or Deno Deploy's: the request's URL is https) it is.
    for (const path of ["/api/menu?location=demo", "/api/tables", "/docs"]) {
      const reply = await s.app.request(`https://seatserve.example${path}`);
      await reply.body?.cancel();
      assert.equal(
        reply.headers.get("strict-transport-security"),
        "max-age=15552000; includeSubDomains",
        path,
      );
    }
    // A forwarded proto is believed only from a trusted proxy.
    const forwarded = await s.app.request("/api/menu?location=demo", {
      headers: { "x-forwarded-proto": "https" },
    });
    await forwarded.body?.cancel();
    assert.equal(forwarded.headers.get("strict-transport-security"), null);
    const docs = await call(s, "GET", "/docs");
    assert.equal(docs.status, 200);
    assert.equal(docs.headers.get("strict-transport-security"), null);
    assert.equal(docs.headers.get("x-content-type-options"), "nosniff");
    assert.equal(docs.headers.get("x-frame-options"), "SAMEORIGIN");
    assert.equal(docs.headers.get("origin-agent-cluster"), "?1");
    assert.equal(docs.headers.get("cross-origin-opener-policy"), "same-origin");
  });
});

Deno.test("[api] GET /menu", async (t) => {
  await withServices(async (s) => {
    let menu: Json;
    let etag = "";
    await t.step(
      "?location=demo: location, categories and items of the contract's shape",
      async () => {
        const reply = await call(s, "GET", "/api/menu?location=demo");
        menu = expect(reply, 200);
        assert.deepEqual(Object.keys(menu.location).sort(), [
          "currency",
          "defaultLanguage",
          "id",
          "languages",
          "name",
          "slug",
        ]);
        assert.equal(menu.lang, "en");
        assert.equal(menu.location.slug, "demo");
        assert.ok(Array.isArray(menu.categories));
        for (const item of menu.items) {
          assert.deepEqual(keysBut(item, "prepMinutes"), MENU_VIEW_KEYS);
          assert.ok(Number.isInteger(item.priceCents));
          assert.ok(Array.isArray(item.allergens));
        }
        etag = reply.headers.get("etag") ?? "";
        assert.match(etag, /^"[^"]+"$/);
      },
    );
    await t.step("If-None-Match: exact, weak, in a list, or * gives 304", async () => {
      for (const tag of [etag, `W/${etag}`, `"nope", ${etag}`, `W/"nope",W/${etag}`, "*"]) {
        const reply = await call(s, "GET", "/api/menu?location=demo", {
          headers: { "if-none-match": tag },
        });
        assert.equal(reply.status, 304, tag);
        assert.equal(reply.text, "");
        assert.equal(reply.headers.get("etag"), etag);
      }
      const other = await call(s, "GET", "/api/menu?location=demo", {
        headers: { "if-none-match": '"something-else"' },
      });
      expect(other, 200);
    });
    await t.step("?table=<token>: the same menu and ETag, for the table's location", async () => {
      const reply = await call(s, "GET", `/api/menu?table=${await tableToken(s, 4)}`);
      assert.deepEqual(expect(reply, 200), menu);
      assert.equal(reply.headers.get("etag"), etag);
    });
    await t.step("an edit changes the ETag; the old one no longer gives 304", async () => {
      const item = menu.items[0];
      await changeMenuItem(s, item.id, { available: !item.available });
      const reply = await call(s, "GET", "/api/menu?location=demo", {
        headers: { "if-none-match": etag },
      });
      expect(reply, 200);
      assert.notEqual(reply.headers.get("etag"), etag);
      // The menu read back is the one before, with only that item's availability changed.
      assert.deepEqual(reply.body, {
        ...menu,
        items: menu.items.map((i: Json) =>
          i.id === item.id ? { ...i, available: !item.available } : i
        ),
      });
    });
    await t.step("another location's slug is its menu; an unknown slug is 404", async () => {
      await secondLocation(s);
      const other = expect(await call(s, "GET", "/api/menu?location=second"), 200);
      assert.equal(other.location.slug, "second");
      assert.deepEqual(other.items, []);
      // Each location's menu holds its own items and none of the other's.
      const theirs = await addMenuItem(s, {
        name: "Poutine",
        priceCents: 900,
        category: "Mains",
        allergens: ["milk"],
      }, { location: "second" });
      const demo = await readMenu(s, "demo");
      assert.deepEqual((await readMenu(s, "second")).items, [theirs]);
      assert.ok(!idsOf(demo.items).includes(theirs.id), "another location's item on the menu");
      assert.deepEqual(idsOf(demo.items), idsOf(menu.items));
      // And a table's token opens its own location's menu, not the other's.
      const table = await addTable(s, { number: 3, seats: 2 }, { location: "second" });
      const byTable = expect(await call(s, "GET", `/api/menu?table=${table.token}`), 200);
      assert.deepEqual(byTable, await readMenu(s, "second"));
      const demoByTable = expect(
        await call(s, "GET", `/api/menu?table=${await tableToken(s, 3)}`),
        200,
      );
      assert.deepEqual(demoByTable, demo);
      expect(await call(s, "GET", "/api/menu?location=nowhere"), 404, "not_found");
      expect(await call(s, "GET", "/api/menu?location=%F0%9F%98%80"), 404);
    });
    await t.step("a bad table token is 401; neither parameter (or both empty) is 400", async () => {
      expect(await call(s, "GET", "/api/menu?table=garbage"), 401, "invalid_table_token");
      expect(await call(s, "GET", "/api/menu"), 400);
      expect(await call(s, "GET", "/api/menu?location=&table="), 400);
      expect(await call(s, "GET", "/api/menu?location=demo&location=demo"), 400);
      const reply = await call(s, "GET", "/api/menu?location=demo&table=");
      expect(reply, 200);
    });
  });
});

Deno.test("[api] menu items: managers manage, the kitchen 86es", async (t) => {
  await withServices(async (s) => {
    const kitchen = (await deviceToken(s, "kitchen")).token;
    const server = (await deviceToken(s, "server")).token;
    const manager = (await deviceToken(s, "manager")).token;
    let item: Json;
    await t.step("POST by a manager: 201 with the item", async () => {
      const sent = { name: "Olives", priceCents: 400, category: "Starters", allergens: [] };
      item = expect(
        await call(s, "POST", "/api/menu/items", { token: manager, body: sent }),
        201,
      );
      assert.deepEqual(Object.keys(item).sort(), MENU_ITEM_KEYS);
      assert.equal(item.available, true);
      assert.equal(item.station, "kitchen");
      assert.deepEqual([item.dietary, item.optionGroups, item.translations], [[], [], {}]);
      // What was sent, plus the defaults, in the answer and in the menu read back.
      const expected = {
        ...sent,
        id: item.id,
        description: "",
        available: true,
        dietary: [],
        station: "kitchen",
        optionGroups: [],
      };
      assert.deepEqual(item, { ...expected, translations: {} });
      const menu = expect(await call(s, "GET", "/api/menu?location=demo"), 200);
      assert.deepEqual(menu.items.find((i: Json) => i.id === item.id), expected);
    });
    await t.step("POST with every field: each one is read back as sent", async () => {
      await addMenuItem(s, {
        name: "Burrata",
        description: "Puglia, with datterini tomatoes",
        priceCents: 1250,
        category: "Starters",
        available: false,
        allergens: ["milk", "nuts"],
      }, { token: manager });
    });
    await t.step("a manager's PATCH of every field, then of each alone, is read back", async () => {
      const changed = await changeMenuItem(s, item.id, {
        name: "Marinated olives",
        description: "Taggiasca, lemon zest",
        priceCents: 450,
        category: "Snacks",
        available: true,
        allergens: ["sulphites"],
      }, { token: manager });
      assert.equal(changed.priceCents, 450);
      const alone = [
        { name: "Olives" },
        { description: "" },
        { priceCents: 400 },
        { category: "Starters" },
        { allergens: ["celery", "mustard"] },
        { allergens: [] },
        { available: false },
        { available: true },
      ];
      for (const patch of alone) await changeMenuItem(s, item.id, patch, { token: manager });
      item = await readMenuItem(s, item.id);
      assert.deepEqual(item, {
        id: item.id,
        name: "Olives",
        description: "",
        priceCents: 400,
        category: "Starters",
        available: true,
        allergens: [],
        dietary: [],
        station: "kitchen",
        optionGroups: [],
      });
    });
    await t.step("the kitchen may PATCH `available` only", async () => {
      const path = `/api/menu/items/${item.id}`;
      const patched = expect(
        await call(s, "PATCH", path, { token: kitchen, body: { available: false } }),
        200,
      );
      assert.equal(patched.available, false);
      assert.deepEqual(asViewed(patched), { ...item, available: false });
      assert.deepEqual(await readMenuItem(s, item.id), { ...item, available: false });
      const before = await readMenu(s);
      expect(
        await call(s, "PATCH", path, { token: kitchen, body: { available: true, priceCents: 1 } }),
        403,
      );
      expect(await call(s, "POST", "/api/menu/items", { token: kitchen, body: item }), 403);
      expect(await call(s, "DELETE", path, { token: kitchen }), 403);
      assert.deepEqual(await readMenu(s), before, "a refused request changed the menu");
      await changeMenuItem(s, item.id, { available: true }, { token: kitchen });
    });
    await t.step("servers may not touch the menu", async () => {
      const path = `/api/menu/items/${item.id}`;
      const before = await readMenu(s);
      expect(await call(s, "PATCH", path, { token: server, body: { available: true } }), 403);
      expect(await call(s, "DELETE", path, { token: server }), 403);
      assert.deepEqual(await readMenu(s), before, "a refused request changed the menu");
    });
    await t.step("no token is 401; an unknown item is 404; DELETE is 204 then 404", async () => {
      const path = `/api/menu/items/${item.id}`;
      expect(await call(s, "PATCH", path, { body: { available: true } }), 401);
      expect(
        await call(s, "PATCH", "/api/menu/items/01NOSUCHITEM0000000000000", {
          token: manager,
          body: { available: true },
        }),
        404,
      );
      const before = await readMenu(s);
      expect(await call(s, "DELETE", path, { token: manager }), 204);
      // Gone from the menu, and nothing else with it.
      assert.equal(await readMenuItem(s, item.id), undefined);
      assert.deepEqual(
        (await readMenu(s)).items,
        before.items.filter((i: Json) => i.id !== item.id),
      );
      expect(await call(s, "DELETE", path, { token: manager }), 404);
    });
  });
});

/** The modules of a QR code drawn by `qrcode`'s SVG renderer, as an RGBA image for `jsQR`. */
function rasterize(svg: string, scale = 8): { data: Uint8ClampedArray; width: number } {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  assert.ok(size > 20, "no square viewBox");
  const d = /<path[^>]*stroke="#000000"[^>]*d="([^"]+)"/.exec(svg)?.[1];
  assert.ok(d, "no module path");
  const dark = new Set<string>();
  let x = 0;
  let y = 0;
  for (const [, op, args] of d.matchAll(/([MmHh])([^MmHh]*)/g)) {
    const n = args.trim().split(/[\s,]+/).map(Number);
    if (op === "M") [x, y] = n;
    else if (op === "m") [x, y] = [x + n[0], y + n[1]];
    else {
      const to = op === "h" ? x + n[0] : n[0];
      for (let i = x; i < to; i++) dark.add(`${i},${Math.floor(y)}`);
      x = to;
    }
  }
  const width = size * scale;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  for (let py = 0; py < width; py++) {
    for (let px = 0; px < width; px++) {
      if (!dark.has(`${Math.floor(px / scale)},${Math.floor(py / scale)}`)) continue;
      const at = (py * width + px) * 4;
      data[at] = data[at + 1] = data[at + 2] = 0;
    }
  }
  return { data, width };
}

Deno.test("[api] tables: servers and managers", async (t) => {
  await withServices(async (s) => {
    const server = (await deviceToken(s, "server")).token;
    const kitchen = (await deviceToken(s, "kitchen")).token;
    let tables: Json[] = [];
    await t.step("GET: every table with token and qrUrl for staff; 401 and 403 apart", async () => {
      tables = expect(await call(s, "GET", "/api/tables", { token: server }), 200).tables;
      assert.equal(tables.length, 12);
      for (const table of tables) {
        assert.deepEqual(Object.keys(table).sort(), [
          "id",
          "number",
          "qrUrl",
          "seats",
          "status",
          "token",
        ]);
      }
      // The seeded twelve, as the owner reads them too, each token opening the demo menu.
      assert.deepEqual(tables, await readTables(s));
      assert.deepEqual(tables.map((x) => x.number), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      assert.ok(tables.every((x) => x.status === "available" && x.seats >= 1));
      const demo = await readMenu(s);
      for (const table of tables) {
        assert.deepEqual(expect(await call(s, "GET", `/api/menu?table=${table.token}`), 200), demo);
      }
      expect(await call(s, "GET", "/api/tables"), 401);
      expect(await call(s, "GET", "/api/tables", { token: "garbage" }), 401);
      expect(await call(s, "GET", "/api/tables", { token: kitchen }), 403, "forbidden");
    });
    await t.step("POST {number, seats}: 201; a duplicate number is 409", async () => {
      const table = await addTable(s, { number: 40, seats: 4 }, { token: server });
      assert.equal(table.number, 40);
      assert.ok(table.token && table.qrUrl);
      const before = await readTables(s);
      expect(
        await call(s, "POST", "/api/tables", { token: server, body: { number: 40, seats: 2 } }),
        409,
      );
      expect(
        await call(s, "PATCH", `/api/tables/${table.id}`, { token: server, body: { number: 1 } }),
        409,
      );
      assert.deepEqual(await readTables(s), before, "a refused request changed the tables");
      // Every field a PATCH takes, together and alone, is read back.
      await changeTable(s, table.id, { number: 41, seats: 6, status: "occupied" }, {
        token: server,
      });
      await changeTable(s, table.id, { seats: 3 }, { token: server });
      await changeTable(s, table.id, { number: 40 }, { token: server });
      await changeTable(s, table.id, { status: "available" }, { token: server });
      await changeTable(s, table.id, { rotateToken: true }, { token: server });
      await changeTable(s, table.id, { seats: 5, rotateToken: true }, { token: server });
      const changed = await readTable(s, table.id);
      assert.deepEqual({ ...changed, token: "", qrUrl: "" }, {
        id: table.id,
        number: 40,
        seats: 5,
        status: "available",
        token: "",
        qrUrl: "",
      });
      const others = (await readTables(s)).filter((x) => x.id !== table.id);
      assert.deepEqual(others, before.filter((x) => x.id !== table.id), "another table changed");
      expect(await call(s, "DELETE", `/api/tables/${table.id}`, { token: server }), 204);
      // Gone from the list, and its token opens nothing.
      assert.equal(await readTable(s, table.id), undefined);
      assert.deepEqual(await readTables(s), others);
      expect(await call(s, "GET", `/api/menu?table=${changed!.token}`), 401, "invalid_table_token");
      expect(await call(s, "DELETE", `/api/tables/${table.id}`, { token: server }), 404);
      expect(
        await call(s, "PATCH", `/api/tables/${table.id}`, { token: server, body: { seats: 2 } }),
        404,
      );
    });
    await t.step("GET qr.svg: an SVG QR code that decodes to the table's guest URL", async () => {
      const table = tables[2];
      const reply = await call(s, "GET", `/api/tables/${table.id}/qr.svg`, { token: server });
      assert.equal(reply.status, 200);
      assert.match(reply.headers.get("content-type") ?? "", /^image\/svg\+xml/);
      assert.match(reply.text, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      const { data, width } = rasterize(reply.text);
      const decoded = jsQR(data, width, width);
      assert.ok(decoded, "the SVG is not a readable QR code");
      assert.equal(decoded.data, table.qrUrl);
      assert.ok(decoded.data.includes(encodeURIComponent(table.token)));
      expect(await call(s, "GET", `/api/tables/${table.id}/qr.svg`, { token: kitchen }), 403);
      expect(await call(s, "GET", `/api/tables/${table.id}/qr.svg`), 401);
      expect(
        await call(s, "GET", "/api/tables/01NOSUCHTABLE000000000000/qr.svg", { token: server }),
        404,
      );
    });
  });
});

Deno.test("[api] orders", async (t) => {
  await withServices(async (s) => {
    const kitchenDevice = await deviceToken(s, "kitchen");
    const kitchen = kitchenDevice.token;
    let order: Json;
    await t.step(
      "POST: 201, pending, server-priced, orderToken only in this response",
      async () => {
        const [first, second] = await menuItemIds(s);
        const body = {
          tableToken: await tableToken(s, 5),
          items: [
            { menuItemId: first, quantity: 2, unitPriceCents: 1 },
            { menuItemId: second, quantity: 3, note: "no ice", lineTotalCents: 0 },
            { menuItemId: first, quantity: 1 },
          ],
          note: "by the window",
          totalCents: 1,
        };
        const reply = await call(s, "POST", "/api/orders", { body });
        order = expect(reply, 201);
        assert.deepEqual(Object.keys(order).sort(), [...ORDER_KEYS, "orderToken"].sort());
        assert.equal(order.status, "pending");
        const items = await menuItems(s);
        const price = items.find((i) => i.id === first)!;
        const price2 = items.find((i) => i.id === second)!;
        assert.equal(order.totalCents, price.priceCents * 3 + price2.priceCents * 3);
        assert.equal(order.tableNumber, 5);
        assert.equal(order.currency, s.location.currency);
        assert.deepEqual(order.items.map((l: Json) => [l.name, l.unitPriceCents, l.note]), [
          [price.name, price.priceCents, ""],
          [price2.name, price2.priceCents, "no ice"],
          [price.name, price.priceCents, ""],
        ]);
        // Every field, sent or computed, in the answer and as read back.
        await assertPlaced(s, body, order);
        const { orderToken: _, ...stored } = order;
        const byGuest = expect(
          await call(s, "GET", `/api/orders/${order.id}?token=${order.orderToken}`),
          200,
        );
        assert.deepEqual(Object.keys(byGuest).sort(), ORDER_KEYS);
        assert.deepEqual(byGuest, stored);
        const byStaff = expect(
          await call(s, "GET", `/api/orders/${order.id}`, { token: kitchen }),
          200,
        );
        assert.deepEqual(Object.keys(byStaff).sort(), ORDER_KEYS);
        assert.deepEqual(byStaff, stored);
        expect(await call(s, "GET", `/api/orders/${order.id}?token=garbage`), 401);
        expect(await call(s, "GET", `/api/orders/${order.id}`), 401);
      },
    );
    await t.step("422 with item paths; 401 for a bad table token", async () => {
      const bad = expect(
        await call(s, "POST", "/api/orders", {
          body: { tableToken: await tableToken(s, 5), items: [{ menuItemId: "x", quantity: 0 }] },
        }),
        422,
      );
      assert.ok(bad.error.details.some((d: Json) => d.path === "items.0.quantity"));
      expect(
        await call(s, "POST", "/api/orders", {
          body: { tableToken: "nope", items: [{ menuItemId: "x", quantity: 1 }] },
        }),
        401,
      );
    });
    await t.step(
      "GET /orders: {orders, cursor}, newest first, cursor empty on the last page",
      async () => {
        const placed = [order.id];
        for (let i = 0; i < 6; i++) placed.push((await placeOrder(s)).id);
        const seen: string[] = [];
        let cursor = "";
        for (let page = 0; page < 10; page++) {
          const body = expect(
            await call(s, "GET", `/api/orders?limit=2&cursor=${cursor}`, { token: kitchen }),
            200,
          );
          assert.deepEqual(Object.keys(body).sort(), ["cursor", "orders"]);
          assert.ok(body.orders.length <= 2);
          seen.push(...body.orders.map((o: Json) => o.id));
          cursor = body.cursor;
          assert.equal(typeof cursor, "string");
          if (!cursor) break;
        }
        assert.deepEqual(seen, placed.reverse());
        // Each page is exactly the next `limit` orders: a cursor leaves out what came before.
        for (const limit of [1, 2, 3, 5, 7]) {
          const pages: string[][] = [];
          cursor = "";
          do {
            const body = expect(
              await call(s, "GET", `/api/orders?limit=${limit}&cursor=${cursor}`, {
                token: kitchen,
              }),
              200,
            );
            pages.push(idsOf(body.orders));
            cursor = body.cursor;
          } while (cursor && pages.length < 10);
          const expected = Array.from(
            { length: Math.ceil(placed.length / limit) },
            (_, i) => placed.slice(i * limit, (i + 1) * limit),
          );
          assert.deepEqual(pages, expected, `limit ${limit}`);
        }
        for (const limit of [100, 200]) {
          const body = expect(
            await call(s, "GET", `/api/orders?limit=${limit}`, { token: kitchen }),
            200,
          );
          assert.equal(body.orders.length, 7);
          assert.equal(body.cursor, "");
        }
      },
    );
    await t.step("empty query parameters mean none", async () => {
      const body = expect(
        await call(s, "GET", "/api/orders?status=&table=&cursor=&limit=", { token: kitchen }),
        200,
      );
      assert.equal(body.orders.length, 7);
      const pending = expect(
        await call(s, "GET", `/api/orders?status=pending&table=${order.tableId}`, {
          token: kitchen,
        }),
        200,
      );
      assert.ok(pending.orders.some((o: Json) => o.id === order.id));
      // Orders each filter must leave out: another status at this table, and another table.
      const table5 = await tableToken(s, 5);
      const queuedHere = await placeOrder(s, { tableToken: table5 });
      await moveOrder(s, queuedHere.id, "queued");
      const elsewhere = await placeOrder(s, { tableToken: await tableToken(s, 6) });
      const all: Json[] = expect(
        await call(s, "GET", "/api/orders?limit=200", { token: kitchen }),
        200,
      ).orders;
      const ids = (orders: Json[]) => orders.map((o) => o.id);
      const where = (keep: (o: Json) => boolean) => ids(all.filter(keep));
      assert.ok(where((o) => o.tableId !== order.tableId).includes(elsewhere.id));
      assert.ok(where((o) => o.status !== "pending").includes(queuedHere.id));
      for (
        const [query, keep] of [
          [
            `status=pending&table=${order.tableId}`,
            (o: Json) => o.status === "pending" && o.tableId === order.tableId,
          ],
          [`status=pending&table=`, (o: Json) => o.status === "pending"],
          [`status=&table=${order.tableId}`, (o: Json) => o.tableId === order.tableId],
          [`status=queued&table=&cursor=&limit=`, (o: Json) => o.status === "queued"],
          [`status=&table=&cursor=&limit=`, () => true],
        ] as const
      ) {
        const listed = expect(
          await call(s, "GET", `/api/orders?${query}`, { token: kitchen }),
          200,
        );
        assert.deepEqual(ids(listed.orders), where(keep), query);
        assert.ok(ids(listed.orders).length > 0, query);
      }
      const both = expect(
        await call(s, "GET", `/api/orders?status=pending&table=${order.tableId}`, {
          token: kitchen,
        }),
        200,
      );
      assert.ok(ids(both.orders).includes(order.id));
      assert.ok(!ids(both.orders).includes(queuedHere.id), "an order of another status");
      assert.ok(!ids(both.orders).includes(elsewhere.id), "an order of another table");
      expect(await call(s, "GET", "/api/orders?status=bogus", { token: kitchen }), 400);
      expect(await call(s, "GET", "/api/orders?limit=0", { token: kitchen }), 400);
    });
    await t.step("PATCH: If-Match `*` matches any version; a stale one is 409", async () => {
      const before = await readOrder(s, order.id);
      const moved = withoutEstimate(expect(
        await call(s, "PATCH", `/api/orders/${order.id}`, {
          token: OWNER_TOKEN,
          body: { status: "queued" },
          headers: { "if-match": "*" },
        }),
        200,
      ));
      assert.equal(moved.status, "queued");
      assert.deepEqual(moved, expectedMove(before, "queued", OWNER_BY, moved.updatedAt));
      assert.deepEqual(await readOrder(s, order.id), moved);
      expect(
        await call(s, "PATCH", `/api/orders/${order.id}`, {
          token: OWNER_TOKEN,
          body: { status: "preparing" },
          headers: { "if-match": '"1"' },
        }),
        409,
        "version_conflict",
      );
      expect(
        await call(s, "PATCH", `/api/orders/${order.id}`, {
          token: kitchen,
          body: { status: "delivered" },
        }),
        409,
        "illegal_transition",
      );
      assert.deepEqual(await readOrder(s, order.id), moved, "a refused move changed the order");
      // Moves with the right If-Match, by the role that owns each, are read back with their `by`.
      const preparing = await moveOrder(s, order.id, "preparing", {
        as: kitchenDevice,
        ifMatch: `"${moved.version}"`,
      });
      assert.equal(preparing.history.at(-1)!.by, `kitchen:${kitchenDevice.id}`);
      await moveOrder(s, order.id, "ready", {
        as: kitchenDevice,
        ifMatch: `"${preparing.version}"`,
      });
    });
    await t.step("a device token of another location sees none of these orders", async () => {
      const before = await readOrder(s, order.id);
      const other = await secondLocation(s);
      const foreign = (await deviceToken(s, "manager", { locationId: other.id })).token;
      expect(await call(s, "GET", `/api/orders/${order.id}`, { token: foreign }), 404);
      expect(
        await call(s, "PATCH", `/api/orders/${order.id}`, {
          token: foreign,
          body: { status: "cancelled" },
        }),
        404,
      );
      expect(await call(s, "GET", "/api/orders?location=demo", { token: foreign }), 403);
      expect(await call(s, "GET", "/api/orders", { token: foreign }), 200);
      // Its own location's list holds none of them; this one is as it was.
      assert.deepEqual(await readOrders(s, "", { token: foreign }), []);
      assert.deepEqual(await readOrder(s, order.id), before);
    });
  });
});

Deno.test("[api] GET /orders filters: exactly the matching orders, page by page", async (t) => {
  await withServices(async (s) => {
    const tables = (await readTables(s)).slice(0, 3);
    for (let i = 0; i < 18; i++) {
      const order = await placeOrder(s, { tableToken: tables[i % 3].token });
      if (i % 3 === 0) await moveOrder(s, order.id, "queued");
      if (i % 4 === 0) await moveOrder(s, order.id, "cancelled");
      if (i % 6 === 1) await moveOrder(s, order.id, "queued");
    }
    const all = await readOrders(s);
    assert.equal(all.length, 18);
    const ids = (keep: (o: Json) => boolean) => idsOf(all.filter(keep));
    const statuses = ["pending", "queued", "cancelled"] as const;

    await t.step("status: its orders, none of another status", async () => {
      for (const status of statuses) {
        const expected = ids((o) => o.status === status);
        assert.ok(expected.length > 0 && expected.length < all.length, status);
        for (const limit of [2, 5, 200]) {
          assert.deepEqual(idsOf(await readOrders(s, `status=${status}`, { limit })), expected);
        }
      }
      assert.deepEqual(await readOrders(s, "status=preparing"), []);
    });
    await t.step("table: its orders, none of another table's", async () => {
      for (const table of tables) {
        const expected = ids((o) => o.tableId === table.id);
        assert.equal(expected.length, 6);
        for (const limit of [2, 4, 200]) {
          assert.deepEqual(idsOf(await readOrders(s, `table=${table.id}`, { limit })), expected);
        }
      }
      const unused = (await readTables(s))[5];
      assert.deepEqual(await readOrders(s, `table=${unused.id}`), []);
      assert.deepEqual(await readOrders(s, "table=01NOSUCHTABLE000000000000"), []);
    });
    await t.step("status and table: only orders matching both", async () => {
      for (const table of tables) {
        for (const status of statuses) {
          const expected = ids((o) => o.tableId === table.id && o.status === status);
          const other = ids((o) => (o.tableId === table.id) !== (o.status === status));
          assert.ok(other.length > 0, "nothing a filter could wrongly keep");
          const listed = idsOf(
            await readOrders(s, `status=${status}&table=${table.id}`, {
              limit: 2,
            }),
          );
          assert.deepEqual(listed, expected, `${status} at table ${table.number}`);
          assert.ok(!listed.some((id) => other.includes(id)));
        }
      }
    });
  });
});

Deno.test("[api] locations and ?location=<slug>", async (t) => {
  await withServices(async (s) => {
    const manager = (await deviceToken(s, "manager")).token;
    await t.step("POST: 201; a duplicate slug is 409; only owners", async () => {
      const created = await secondLocation(s);
      assert.equal(created.slug, "second");
      expect(
        await call(s, "POST", "/api/locations", {
          token: OWNER_TOKEN,
          body: { slug: "second", name: "Again", currency: "EUR" },
        }),
        409,
      );
      expect(
        await call(s, "POST", "/api/locations", {
          token: manager,
          body: { slug: "third", name: "Third", currency: "EUR" },
        }),
        403,
      );
      // The refused ones changed nothing: the first "second" is as it was created.
      assert.deepEqual(await readLocations(s), [s.location, created]);
      const list = expect(await call(s, "GET", "/api/locations", { token: OWNER_TOKEN }), 200);
      assert.deepEqual(list.locations.map((l: Json) => l.slug), ["demo", "second"]);
      expect(await call(s, "GET", "/api/locations", { token: manager }), 403);
      // Every field sent, the optional one too, is read back.
      const fourth = await addLocation(s, {
        slug: "fourth",
        name: "Vierte Stube",
        currency: "CHF",
        defaultLanguage: "de-CH",
      });
      assert.deepEqual(await readLocations(s), [s.location, created, fourth]);
    });
    await t.step(
      "the bootstrap token acts on the first location unless ?location= names one",
      async () => {
        const demo = expect(await call(s, "GET", "/api/tables", { token: OWNER_TOKEN }), 200);
        assert.equal(demo.tables.length, 12);
        const table = await addTable(s, { number: 1, seats: 2 }, { location: "second" });
        const second = expect(
          await call(s, "GET", "/api/tables?location=second", { token: OWNER_TOKEN }),
          200,
        );
        assert.equal(second.tables.length, 1);
        assert.deepEqual(second.tables, [table]);
        const blank = expect(
          await call(s, "GET", "/api/tables?location=", { token: OWNER_TOKEN }),
          200,
        );
        assert.equal(blank.tables.length, 12);
        // The first location's tables, without the one added elsewhere.
        assert.deepEqual(blank.tables, demo.tables);
        assert.deepEqual(await readTables(s), demo.tables);
        assert.ok(!idsOf(blank.tables).includes(table.id));
        expect(await call(s, "GET", "/api/tables?location=nowhere", { token: OWNER_TOKEN }), 404);
        expect(await call(s, "GET", "/api/tables?location=second", { token: manager }), 403);
      },
    );
  });
});

Deno.test("[api] device tokens: issue and revoke", async (t) => {
  await withServices(async (s) => {
    const manager = (await deviceToken(s, "manager")).token;
    let kitchen: Json;
    await t.step("POST: 201 {token, id, expiresAt} for the caller's location", async () => {
      kitchen = expect(
        await call(s, "POST", "/api/auth/tokens", {
          token: manager,
          body: { role: "kitchen", label: "pass", ttlSeconds: 3600 },
        }),
        201,
      );
      assert.equal(typeof kitchen.token, "string");
      assert.equal(typeof kitchen.id, "string");
      const ttl = Date.parse(kitchen.expiresAt) - Date.now();
      assert.ok(ttl > 3590_000 && ttl <= 3600_000, kitchen.expiresAt);
      expect(await call(s, "GET", "/api/orders", { token: kitchen.token }), 200);
      // What was asked for, in the answer and in what the token then does.
      assert.deepEqual(kitchen, {
        token: kitchen.token,
        id: kitchen.id,
        expiresAt: kitchen.expiresAt,
        role: "kitchen",
        locationId: s.location.id,
        label: "pass",
      });
      await assertTokenActsAs(s, kitchen.token, "kitchen", s.location.id);
      const order = await placeOrder(s);
      await moveOrder(s, order.id, "queued");
      await moveOrder(s, order.id, "preparing", {
        as: { token: kitchen.token, by: `kitchen:${kitchen.id}` },
      });
      for (const role of ["owner", "manager", "server", "kitchen"] as const) {
        await deviceToken(s, role, { label: `${role} screen`, ttlSeconds: 600 });
      }
    });
    await t.step("a manager may not mint an owner token; kitchen and server none", async () => {
      const refused = expect(
        await call(s, "POST", "/api/auth/tokens", { token: manager, body: { role: "owner" } }),
        403,
      );
      assert.equal(refused.error.message, "A manager may not issue owner tokens.");
      expect(
        await call(s, "POST", "/api/auth/tokens", {
          token: kitchen.token,
          body: { role: "kitchen" },
        }),
        403,
      );
    });
    await t.step("locationId picks a location the caller may manage", async () => {
      const other = await secondLocation(s);
      expect(
        await call(s, "POST", "/api/auth/tokens", {
          token: manager,
          body: { role: "kitchen", locationId: other.id },
        }),
        403,
      );
      const there = expect(
        await call(s, "POST", "/api/auth/tokens", {
          token: OWNER_TOKEN,
          body: { role: "server", locationId: other.id },
        }),
        201,
      );
      const tables = expect(await call(s, "GET", "/api/tables", { token: there.token }), 200);
      assert.deepEqual(tables.tables, []);
      assert.equal(there.locationId, other.id);
      assert.equal(there.role, "server");
      await assertTokenActsAs(s, there.token, "server", other.id);
      // Without ?location=, its writes land in its own location.
      const table = expect(
        await call(s, "POST", "/api/tables", { token: there.token, body: { number: 9, seats: 4 } }),
        201,
      );
      assert.deepEqual(await readTables(s, { location: "second" }), [table]);
      assert.deepEqual(
        { ...table, id: "", token: "", qrUrl: "" },
        { id: "", number: 9, seats: 4, status: "available", token: "", qrUrl: "" },
      );
      assert.ok(!idsOf(await readTables(s)).includes(table.id), "added to the wrong location");
      expect(await call(s, "GET", "/api/tables?location=demo", { token: there.token }), 403);
    });
    await t.step(
      "DELETE: 204, the token is refused from then on, a second DELETE is 404",
      async () => {
        expect(await call(s, "DELETE", `/api/auth/tokens/${kitchen.id}`, { token: manager }), 204);
        expect(await call(s, "GET", "/api/orders", { token: kitchen.token }), 401, "invalid_token");
        expect(await call(s, "DELETE", `/api/auth/tokens/${kitchen.id}`, { token: manager }), 404);
      },
    );
    await t.step("a manager may not revoke an owner's token", async () => {
      const owner = await deviceToken(s, "owner");
      const refused = expect(
        await call(s, "DELETE", `/api/auth/tokens/${owner.id}`, { token: manager }),
        403,
      );
      assert.equal(refused.error.message, "A manager may not revoke owner tokens.");
      expect(await call(s, "GET", "/api/tables", { token: owner.token }), 200);
      expect(await call(s, "DELETE", `/api/auth/tokens/${owner.id}`, { token: owner.token }), 204);
    });
    await t.step("an expired token is 401", async () => {
      const { token } = await s.services.auth.issueDeviceToken(BOOTSTRAP, {
        role: "server",
        locationId: s.location.id,
        ttlSeconds: 1,
      }, BOOTSTRAP_AUDIT);
      expect(await call(s, "GET", "/api/tables", { token }), 200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await call(s, "GET", "/api/tables", { token }), 401);
    });
  });
});

Deno.test("[api] errors: one body, the contract's statuses, never a 500", async (t) => {
  await withServices(async (s) => {
    const table = await tableToken(s, 2);
    await t.step("400 bad JSON, 415 wrong content type, 413 too large, 422 invalid", async () => {
      expect(await call(s, "POST", "/api/orders", { body: "{oops" }), 400);
      expect(
        await call(s, "POST", "/api/orders", {
          body: JSON.stringify({ tableToken: table, items: [] }),
          headers: { "content-type": "text/plain" },
        }),
        415,
      );
      expect(
        await call(s, "POST", "/api/orders", {
          body: JSON.stringify({ tableToken: table, items: [], note: "x".repeat(70_000) }),
        }),
        413,
      );
      expect(await call(s, "POST", "/api/orders", { body: { tableToken: table, items: [] } }), 422);
      expect(await call(s, "GET", "/api/no/such/route"), 404);
    });
    await t.step("odd paths, queries and tokens are 4xx with the error body", async () => {
      const other = await secondLocation(s);
      const foreign = (await deviceToken(s, "kitchen", { locationId: other.id })).token;
      const revoked = await deviceToken(s, "server");
      expect(
        await call(s, "DELETE", `/api/auth/tokens/${revoked.id}`, { token: OWNER_TOKEN }),
        204,
      );
      const odd = [
        "/api/orders/%00",
        "/api/orders/..%2F..%2Fx",
        `/api/orders/${"z".repeat(300)}`,
        "/api/orders/%F0%9F%98%80?token=%F0%9F%98%80.x",
        "/api/orders?cursor=%FF%FE",
        "/api/orders?limit=1e999",
        "/api/orders?limit=1&limit=2",
        "/api/orders?table=%F0%9F%98%80&status=pending&status=queued",
        `/api/orders?location=${"x".repeat(5_000)}`,
        "/api/tables?location=",
        "/api/tables/%ED%A0%80/qr.svg",
        `/api/menu?table=${"t".repeat(5_000)}`,
        "/api/menu?location[]=demo",
        `/api/kitchen/stream?access_token=${"a".repeat(5_000)}`,
      ];
      const tokens = [OWNER_TOKEN, "garbage", revoked.token, foreign, "a.b.c", "Ω".repeat(50)];
      for (const path of odd) {
        for (const token of tokens) {
          const reply = await call(s, "GET", path, {
            headers: { authorization: `Bearer ${encodeURIComponent(token)}` },
          });
          assert.ok(reply.status < 500, `${path} with ${token}: ${reply.status} ${reply.text}`);
          if (reply.status >= 400) assertErrorBody(reply);
        }
      }
      expect(await call(s, "GET", "/api/tables", { token: revoked.token }), 401);
      expect(await call(s, "GET", "/api/orders?location=demo", { token: foreign }), 403);
      expect(
        await call(s, "GET", "/api/tables", { headers: { authorization: "Basic b3duZXI=" } }),
        401,
      );
    });
  });
});

Deno.test("[api] GET /openapi.json documents every endpoint and ?location= on staff routes", async () => {
  await withServices(async (s) => {
    const doc = expect(await call(s, "GET", "/openapi.json"), 200);
    const endpoints: [string, string, boolean][] = [
      ["get", "/api/health", false],
      ["get", "/api/health/live", false],
      ["get", "/api/health/ready", false],
      ["get", "/api/menu", false],
      ["post", "/api/menu/items", true],
      ["patch", "/api/menu/items/{id}", true],
      ["delete", "/api/menu/items/{id}", true],
      ["get", "/api/menu/items", true],
      ["patch", "/api/menu/items/{id}/options/{optionId}", true],
      ["get", "/api/menu/stream", false],
      ["get", "/api/tables", true],
      ["post", "/api/tables", true],
      ["patch", "/api/tables/{id}", true],
      ["delete", "/api/tables/{id}", true],
      ["get", "/api/tables/{id}/qr.svg", true],
      ["post", "/api/orders", false],
      ["get", "/api/orders/{id}", true],
      ["get", "/api/orders", true],
      ["patch", "/api/orders/{id}", true],
      ["get", "/api/orders/{id}/events", false],
      ["get", "/api/kitchen/stream", true],
      ["get", "/api/locations", false],
      ["post", "/api/locations", false],
      ["post", "/api/auth/tokens", true],
      ["delete", "/api/auth/tokens/{id}", true],
    ];
    for (const [method, path, location] of endpoints) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method.toUpperCase()} ${path} is not described`);
      const names = (op.parameters ?? []).map((p: Json) => `${p.in}:${p.name}`);
      if (location) {
        assert.ok(names.includes("query:location"), `${method} ${path}: no ?location= (${names})`);
      }
    }
  });
});

Deno.test("[seed] the demo restaurant, once and in one commit, even when two processes start together", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const results = await Promise.all([seedDemo(kv), seedDemo(kv), seedDemo(kv)]);
    assert.equal(results.filter((r) => r !== null).length, 1);
    const location = results.find((r) => r !== null)!;
    assert.equal(location.slug, "demo");
    const items = await listMenuItems(kv, location.id);
    assert.ok(items.length >= 12, `${items.length} items`);
    assert.ok(new Set(items.map((i) => i.category)).size >= 3);
    assert.ok(items.some((i) => !i.available));
    const tables = await listTables(kv, location.id);
    assert.deepEqual(tables.map((t) => t.number), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(await seedDemo(kv), null);
    assert.equal((await listMenuItems(kv, location.id)).length, items.length);
    // One commit wrote it all: a crash part-way would have left nothing, not half a demo.
    const stamps = new Set<string>();
    for await (const entry of kv.list({ prefix: [] })) stamps.add(entry.versionstamp);
    assert.equal(stamps.size, 1, `written in ${stamps.size} commits`);
  } finally {
    kv.close();
  }
});
