/**
 * Location isolation: two locations on one server; every read and write endpoint, both streams,
 * and the global keys (table by token, order tokens, device tokens, location by slug), used with
 * the other location's credentials, are refused as if the thing did not exist (404, the same
 * answer as for an id that never existed) or answered empty; nothing changes, and no event or
 * list result crosses.
 */
import assert from "node:assert/strict";
import type { MenuItem, Order, Table } from "../../lib/schemas.ts";
import { listMenuItems } from "../../lib/catalog/menu.ts";
import { listTables } from "../../lib/catalog/tables.ts";
import { getOrder } from "../../lib/orders/store.ts";
import { createSession } from "../../lib/auth/sessions.ts";
import { BOOTSTRAP, BOOTSTRAP_AUDIT, OWNER_TOKEN } from "../fixtures.ts";
import { RawSse, startStreamServer } from "./stream_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("[isolation] two locations: nothing crosses", opts, async (t) => {
  const server = await startStreamServer();
  const { base, services } = server;
  const kv = services.kv;
  const call = async (
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* svg or empty */ }
    return { status: res.status, body: body as Record<string, unknown> };
  };
  /** A refusal as for something that does not exist: 404 with the same code as a made-up id. */
  const absent = async (
    method: string,
    path: string,
    madeUp: string,
    options: { token?: string; body?: unknown } = {},
  ) => {
    const real = await call(method, path, options);
    const fake = await call(method, madeUp, options);
    assert.equal(real.status, 404, `${method} ${path}: ${JSON.stringify(real.body)}`);
    assert.equal(fake.status, 404, `${method} ${madeUp}`);
    const code = (r: typeof real) => (r.body.error as { code: string }).code;
    assert.equal(code(real), code(fake), `${method} ${path} answers as for a made-up id`);
  };

  try {
    // Location A: the seeded demo. Location B: made here, with its own menu and tables.
    const a = { id: server.locationId };
    const created = await call("POST", "/api/locations", {
      token: OWNER_TOKEN,
      body: { slug: "second", name: "Second", currency: "EUR" },
    });
    assert.equal(created.status, 201);
    const b = { id: created.body.id as string };
    for (const name of ["Soup", "Bread"]) {
      const item = await call("POST", "/api/menu/items?location=second", {
        token: OWNER_TOKEN,
        body: { name, priceCents: 500, category: "Food" },
      });
      assert.equal(item.status, 201);
    }
    for (const number of [1, 2]) {
      const table = await call("POST", "/api/tables?location=second", {
        token: OWNER_TOKEN,
        body: { number, seats: 4 },
      });
      assert.equal(table.status, 201);
    }
    const itemsA = (await listMenuItems(kv, a.id)).filter((i) => i.available);
    const itemsB = await listMenuItems(kv, b.id);
    const tablesA = await listTables(kv, a.id);
    const tablesB = await listTables(kv, b.id);
    const token = async (role: "manager" | "kitchen" | "server", locationId: string) =>
      (await services.auth.issueDeviceToken(BOOTSTRAP, { role, locationId }, BOOTSTRAP_AUDIT))
        .token;
    const managerA = await token("manager", a.id);
    const managerB = await token("manager", b.id);
    const kitchenA = await token("kitchen", a.id);
    const kitchenB = await token("kitchen", b.id);
    const serverB = await token("server", b.id);
    const tokenRecordA = await services.auth.issueDeviceToken(BOOTSTRAP, {
      role: "kitchen",
      locationId: a.id,
    }, BOOTSTRAP_AUDIT);

    // Both kitchens watch from the start.
    const streamA = await RawSse.open(`${base}/api/kitchen/stream`, {
      authorization: `Bearer ${kitchenA}`,
    });
    const streamB = await RawSse.open(`${base}/api/kitchen/stream`, {
      authorization: `Bearer ${kitchenB}`,
    });
    await streamA.until(() => streamA.events.length >= 1);
    await streamB.until(() => streamB.events.length >= 1);

    const place = async (table: Table, item: MenuItem) => {
      const res = await call("POST", "/api/orders", {
        body: { tableToken: table.token, items: [{ menuItemId: item.id, quantity: 1 }] },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as unknown as Order & { orderToken: string };
    };
    const ordersA = [
      await place(tablesA[0], itemsA[0]),
      await place(tablesA[1], itemsA[1]),
      await place(tablesA[2], itemsA[2]),
    ];
    const ordersB = [await place(tablesB[0], itemsB[0]), await place(tablesB[1], itemsB[1])];
    const orderA = ordersA[0];
    const snapshotOfA = await getOrder(kv, a.id, orderA.id);

    await t.step("orders: B's staff cannot read, list, filter or move A's orders", async () => {
      await absent("GET", `/api/orders/${orderA.id}`, "/api/orders/01NOTANORDER0000000000000", {
        token: managerB,
      });
      await absent(
        "PATCH",
        `/api/orders/${orderA.id}`,
        "/api/orders/01NOTANORDER0000000000000",
        { token: managerB, body: { status: "cancelled" } },
      );
      await absent(
        "PATCH",
        `/api/orders/${orderA.id}`,
        "/api/orders/01NOTANORDER0000000000000",
        { token: kitchenB, body: { status: "queued" } },
      );
      const list = await call("GET", "/api/orders?limit=100", { token: managerB });
      assert.equal(list.status, 200);
      assert.deepEqual(
        (list.body.orders as Order[]).map((o) => o.id).sort(),
        ordersB.map((o) => o.id).sort(),
      );
      const byTable = await call("GET", `/api/orders?table=${tablesA[0].id}`, { token: managerB });
      assert.deepEqual(byTable.body.orders, []);
      const byStatus = await call("GET", "/api/orders?status=pending", { token: serverB });
      assert.deepEqual(
        (byStatus.body.orders as Order[]).map((o) => o.locationId),
        ordersB.map(() => b.id),
      );
      // A credential for B naming A by slug is refused; B's own list is unchanged.
      assert.equal(
        (await call("GET", "/api/orders?location=demo", { token: managerB })).status,
        403,
      );
      assert.deepEqual(await getOrder(kv, a.id, orderA.id), snapshotOfA, "A's order unchanged");
    });

    await t.step("guests: order tokens and table tokens open their own location only", async () => {
      const orderB = ordersB[0];
      // B's order token on A's order id, and on a made-up id: the same refusal.
      const real = await call("GET", `/api/orders/${orderA.id}?token=${orderB.orderToken}`);
      const fake = await call(
        "GET",
        `/api/orders/01NOTANORDER0000000000000?token=${orderB.orderToken}`,
      );
      assert.equal(real.status, fake.status);
      assert.ok(real.status === 401 || real.status === 404, String(real.status));
      // A's order token forged onto B's location prefix does not open it either.
      const forged = `${b.id}.${orderA.orderToken.split(".").slice(1).join(".")}`;
      assert.notEqual((await call("GET", `/api/orders/${orderA.id}?token=${forged}`)).status, 200);
      const events = await fetch(
        `${base}/api/orders/${orderA.id}/events?token=${orderB.orderToken}`,
      );
      await events.body?.cancel();
      assert.ok(events.status === 401 || events.status === 404, String(events.status));
      // B's table with A's item: unknown item, nothing created.
      const before = (await call("GET", "/api/orders?limit=100", { token: managerB })).body;
      const cross = await call("POST", "/api/orders", {
        body: { tableToken: tablesB[0].token, items: [{ menuItemId: itemsA[0].id, quantity: 1 }] },
      });
      assert.equal(cross.status, 422);
      assert.deepEqual(
        (await call("GET", "/api/orders?limit=100", { token: managerB })).body,
        before,
      );
      // The menu by B's table token is B's menu.
      const menu = await call("GET", `/api/menu?table=${tablesB[0].token}`);
      assert.equal((menu.body.location as { id: string }).id, b.id);
      assert.deepEqual(
        (menu.body.items as MenuItem[]).map((i) => i.id).sort(),
        itemsB.map((i) => i.id).sort(),
      );
    });

    await t.step("menu and tables: B's staff cannot change or see A's", async () => {
      const item = itemsA[0];
      await absent(
        "PATCH",
        `/api/menu/items/${item.id}`,
        "/api/menu/items/01NOTANITEM000000000000000",
        {
          token: managerB,
          body: { available: false },
        },
      );
      await absent(
        "PATCH",
        `/api/menu/items/${item.id}`,
        "/api/menu/items/01NOTANITEM000000000000000",
        {
          token: kitchenB,
          body: { available: false },
        },
      );
      await absent(
        "DELETE",
        `/api/menu/items/${item.id}`,
        "/api/menu/items/01NOTANITEM000000000000000",
        {
          token: managerB,
        },
      );
      const table = tablesA[0];
      await absent("PATCH", `/api/tables/${table.id}`, "/api/tables/01NOTATABLE00000000000000", {
        token: managerB,
        body: { seats: 9 },
      });
      await absent("DELETE", `/api/tables/${table.id}`, "/api/tables/01NOTATABLE00000000000000", {
        token: managerB,
      });
      await absent(
        "GET",
        `/api/tables/${table.id}/qr.svg`,
        "/api/tables/01NOTATABLE00000000000000/qr.svg",
        {
          token: serverB,
        },
      );
      const tables = await call("GET", "/api/tables", { token: managerB });
      assert.deepEqual(
        (tables.body.tables as Table[]).map((x) => x.id).sort(),
        tablesB.map((x) => x.id).sort(),
      );
      // B's new item and table land in B only; A's are exactly as before.
      const made = await call("POST", "/api/menu/items", {
        token: managerB,
        body: { name: "Tea", priceCents: 300, category: "Drinks" },
      });
      assert.equal(made.status, 201);
      assert.equal((await listMenuItems(kv, a.id)).some((i) => i.id === made.body.id), false);
      assert.deepEqual(
        await listMenuItems(kv, a.id).then((l) => l.find((i) => i.id === item.id)),
        item,
      );
      assert.deepEqual(await listTables(kv, a.id), tablesA);
      const menuA = await call("GET", "/api/menu?location=demo");
      assert.equal((menuA.body.items as MenuItem[]).some((i) => i.id === made.body.id), false);
    });

    await t.step("device tokens and locations: B's manager reaches nothing of A", async () => {
      await absent(
        "DELETE",
        `/api/auth/tokens/${tokenRecordA.record.id}`,
        "/api/auth/tokens/01NOTATOKEN",
        {
          token: managerB,
        },
      );
      assert.ok(await services.auth.authenticate(tokenRecordA.token), "A's token still works");
      const issue = await call("POST", "/api/auth/tokens", {
        token: managerB,
        body: { role: "kitchen", locationId: a.id },
      });
      const made = await call("POST", "/api/auth/tokens", {
        token: managerB,
        body: { role: "kitchen", locationId: "01NOTALOCATION000000000000" },
      });
      assert.equal(issue.status, made.status, "an existing location answers as a made-up one");
      assert.ok(issue.status === 403 || issue.status === 404);
      assert.equal((await call("GET", "/api/locations", { token: managerB })).status, 403);
      // A's kitchen token does not act on B.
      const move = await call("PATCH", `/api/orders/${ordersB[0].id}`, {
        token: kitchenA,
        body: { status: "queued" },
      });
      assert.equal(move.status, 404);
    });

    await t.step("sessions: a signed-in screen of B reaches nothing of A", async () => {
      const principal = await services.auth.authenticate(managerB);
      const { id } = await createSession(kv, {
        principal: principal!,
        locationId: b.id,
        lifetime: { ttlMs: 60_000, idleMs: 60_000 },
      });
      const cookie = { cookie: `seatserve_session=${id}` };
      const real = await call("GET", `/api/orders/${orderA.id}`, { headers: cookie });
      const fake = await call("GET", "/api/orders/01NOTANORDER0000000000000", { headers: cookie });
      assert.deepEqual([real.status, fake.status], [404, 404]);
      const list = await call("GET", "/api/orders?limit=100", { headers: cookie });
      assert.deepEqual(
        (list.body.orders as Order[]).map((o) => o.id).sort(),
        ordersB.map((o) => o.id).sort(),
      );
      const stream = await RawSse.open(`${base}/api/kitchen/stream`, cookie);
      await stream.until(() => stream.events.length >= 1);
      const open = JSON.parse(stream.events[0].data).orders as Order[];
      assert.ok(open.length > 0 && open.every((o) => o.locationId === b.id));
      await stream.close();
    });

    await t.step(
      "streams: each kitchen gets its own location's snapshot and changes only",
      async () => {
        // Moves in both locations after the streams opened.
        assert.equal(
          (await call("PATCH", `/api/orders/${ordersA[1].id}`, {
            token: managerA,
            body: { status: "queued" },
          })).status,
          200,
        );
        assert.equal(
          (await call("PATCH", `/api/orders/${ordersB[1].id}`, {
            token: managerB,
            body: { status: "queued" },
          })).status,
          200,
        );
        await streamA.until(() => streamA.orders().length >= 4);
        await streamB.until(() => streamB.orders().length >= 3);
        await new Promise((r) => setTimeout(r, 200)); // anything crossing would have arrived
        assert.ok(streamA.orders().every((o) => o.locationId === a.id));
        assert.ok(streamB.orders().every((o) => o.locationId === b.id));
        assert.deepEqual(
          streamA.orders().map((o) => o.id),
          [...ordersA.map((o) => o.id), ordersA[1].id],
        );
        assert.deepEqual(
          streamB.orders().map((o) => o.id),
          [...ordersB.map((o) => o.id), ordersB[1].id],
        );
        // A fresh snapshot for B holds B's open orders only.
        const fresh = await RawSse.open(`${base}/api/kitchen/stream`, {
          authorization: `Bearer ${kitchenB}`,
        });
        await fresh.until(() => fresh.events.length >= 1);
        const snapshot = JSON.parse(fresh.events[0].data).orders as Order[];
        assert.deepEqual(snapshot.map((o) => o.id).sort(), ordersB.map((o) => o.id).sort());
        // A Last-Event-ID of A's feed on B's stream is not a place in B's feed: a snapshot.
        const crossId = streamA.events.at(-1)!.id!;
        const resumed = await RawSse.open(`${base}/api/kitchen/stream`, {
          authorization: `Bearer ${kitchenB}`,
          "last-event-id": crossId,
        });
        await resumed.until(() => resumed.events.length >= 1);
        assert.equal(resumed.events[0].event, "snapshot");
        assert.deepEqual(
          (JSON.parse(resumed.events[0].data).orders as Order[]).map((o) => o.id).sort(),
          ordersB.map((o) => o.id).sort(),
        );
        // A guest stream of B's order with A's id is refused.
        for (const sse of [fresh, resumed]) await sse.close();
      },
    );

    await streamA.close();
    await streamB.close();
  } finally {
    await server.close();
  }
});
