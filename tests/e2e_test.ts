/**
 * End to end through the real server process (`main.ts`), as `deno task start` runs it: the seeded
 * demo, a guest's idempotent order, the whole lifecycle moved by kitchen and server device tokens,
 * a clean SIGTERM, and a restart on the same KV file that finds everything as it was. Also the
 * generated owner token (printed once, on first start only) and `SEATSERVE_SEED=0`.
 */
import assert from "node:assert/strict";
import {
  addLocation,
  assertPlaced,
  assertTokenActsAs,
  call,
  expect,
  idsOf,
  type Json,
  type MainProcess as Server,
  moveOrder,
  type OrderBody,
  readOrder,
  readOrders,
  type Reply,
  startMain as startServer,
  withoutEstimate,
} from "./fixtures.ts";

/** The reply, once its status is `status`. */
async function expectStatus(reply: Promise<Reply>, status: number): Promise<Reply> {
  const result = await reply;
  expect(result, status);
  return result;
}

async function stopCleanly(server: Server): Promise<void> {
  const { code, ms } = await server.stop();
  assert.equal(code, 0, `exit code ${code}:\n${server.output()}`);
  assert.ok(ms < 5_000, `took ${ms} ms to exit after SIGTERM`);
  assert.doesNotMatch(server.output(), /\[error\]|Uncaught|panicked/, server.output());
}

/**
 * Waits until the server printed a line matching `pattern`, and a moment more for the lines that
 * `main.ts` prints right after it (the owner token follows the docs URL).
 */
async function waitForOutput(server: Server, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(server.output())) {
    assert.ok(Date.now() < deadline, `no ${pattern} in:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}

function randomSecret(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(24)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

Deno.test("[e2e] a real server: seeded demo, guest order, lifecycle, restart on the same store", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve_e2e_" });
  const owner = randomSecret();
  const env = {
    SEATSERVE_KV_PATH: `${dir}/store.kv`,
    SEATSERVE_BOOTSTRAP_TOKEN: owner,
    // QR URLs would otherwise name each start's port.
    SEATSERVE_PUBLIC_URL: "http://seatserve.test",
  };
  let server = await startServer(env);
  try {
    let menu: Json;
    let tables: Json[] = [];
    let kitchen = "";
    let floor = "";
    /** How each device token shows in an order's history. */
    const by = { kitchen: "", floor: "" };
    let order: Json;
    let closedOrder: Json;

    await t.step("the demo restaurant is seeded", async () => {
      menu = (await expectStatus(call(server, "GET", "/api/menu?location=demo"), 200)).body;
      assert.equal(menu.location.slug, "demo");
      assert.ok(menu.items.length >= 12, `${menu.items.length} items`);
      assert.ok(menu.categories.length >= 3, `${menu.categories.length} categories`);
      assert.ok(menu.items.some((i: Json) => i.available === false), "no unavailable item");
      tables = (await expectStatus(call(server, "GET", "/api/tables", { token: owner }), 200)).body
        .tables;
      assert.equal(tables.length, 12);
      assert.deepEqual(tables.map((x) => x.number), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    });

    await t.step("device tokens for the kitchen and the floor", async () => {
      const [demo] = (await expectStatus(
        call(server, "GET", "/api/locations", { token: owner }),
        200,
      )).body.locations;
      const issue = async (role: "kitchen" | "server", label: string) => {
        const issued = (await expectStatus(
          call(server, "POST", "/api/auth/tokens", { token: owner, body: { role, label } }),
          201,
        )).body;
        const { token, id, expiresAt } = issued;
        assert.deepEqual(issued, { token, id, expiresAt, role, locationId: demo.id, label });
        // What the token then does, read back through the API.
        await assertTokenActsAs(server, token, role, demo.id);
        return { token, by: `${role}:${id}` };
      };
      const pass = await issue("kitchen", "pass");
      const floorToken = await issue("server", "floor");
      kitchen = pass.token;
      floor = floorToken.token;
      by.kitchen = pass.by;
      by.floor = floorToken.by;
    });

    await t.step("a guest orders from a table token; a retry gets the same answer", async () => {
      const [first, second] = menu.items.filter((i: Json) => i.available);
      const body: OrderBody = {
        tableToken: tables[4].token,
        items: [
          { menuItemId: first.id, quantity: 2, note: "no basil 🌿" },
          { menuItemId: second.id, quantity: 1 },
        ],
        note: "window seat",
      };
      const headers = { "idempotency-key": `e2e-${crypto.randomUUID()}` };
      const placed = await expectStatus(
        call(server, "POST", "/api/orders", { body, headers }),
        201,
      );
      order = placed.body;
      assert.equal(order.status, "pending");
      assert.equal(order.tableNumber, 5);
      assert.equal(order.totalCents, first.priceCents * 2 + second.priceCents);
      assert.equal(typeof order.orderToken, "string");
      // How long the order took from pricing to its commit, for clients and operators.
      const timing = /^commit;dur=(\d+\.\d+);desc="priced to committed"$/.exec(
        placed.headers.get("server-timing") ?? "",
      );
      assert.ok(timing, `Server-Timing: ${placed.headers.get("server-timing")}`);
      assert.ok(Number(timing[1]) >= 0 && Number(timing[1]) < 10_000);
      const retry = await expectStatus(call(server, "POST", "/api/orders", { body, headers }), 201);
      assert.equal(retry.text, placed.text);
      assert.equal(retry.headers.get("idempotent-replayed"), "true");
      assert.equal(retry.headers.get("server-timing"), null, "a replay commits nothing");
      const list = await expectStatus(call(server, "GET", "/api/orders", { token: floor }), 200);
      assert.equal(list.body.orders.length, 1, "the retry created a second order");
      // Every field sent or computed, in the answer and as read back, by staff and the guest.
      const stored = await assertPlaced(server, body, order);
      const byGuest = await expectStatus(
        call(server, "GET", `/api/orders/${order.id}?token=${order.orderToken}`),
        200,
      );
      assert.deepEqual(withoutEstimate(byGuest.body), stored);
      assert.deepEqual(list.body.orders.map(withoutEstimate), [stored]);
    });

    await t.step("concurrent requests with one Idempotency-Key get one order", async () => {
      const body: OrderBody = {
        tableToken: tables[7].token,
        items: [{ menuItemId: menu.items.find((i: Json) => i.available).id, quantity: 3 }],
      };
      const headers = { "idempotency-key": `e2e-burst-${crypto.randomUUID()}` };
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => call(server, "POST", "/api/orders", { body, headers })),
      );
      for (const answer of answers) {
        assert.equal(answer.status, 201, answer.text);
        assert.equal(answer.text, answers[0].text);
      }
      const burst = answers[0].body;
      await assertPlaced(server, body, burst);
      // Cancel it, so the order above stays the only one in the lifecycle checks below.
      const cancelled = await moveOrder(server, burst.id, "cancelled", {
        as: { token: floor, by: by.floor },
      });
      const mine = await expectStatus(
        call(server, "GET", `/api/orders?table=${tables[7].id}`, { token: floor }),
        200,
      );
      assert.deepEqual(mine.body.orders.map((o: Json) => o.id), [burst.id]);
      assert.deepEqual(mine.body.orders.map(withoutEstimate), [cancelled]);
      // The first order, at another table, is there but not in this table's list.
      assert.deepEqual(idsOf(await readOrders(server)), [burst.id, order.id]);
    });

    await t.step("staff walk the lifecycle, each move by the role that owns it", async () => {
      const moves: Array<[string, string]> = [
        ["queued", floor],
        ["preparing", kitchen],
        ["ready", kitchen],
        ["delivered", floor],
        ["closed", floor],
      ];
      // A kitchen screen may not accept an order for the floor.
      const before = await readOrder(server, order.id);
      await expectStatus(
        call(server, "PATCH", `/api/orders/${order.id}`, {
          token: kitchen,
          body: { status: "queued" },
        }),
        403,
      );
      assert.deepEqual(await readOrder(server, order.id), before, "a refused move changed it");
      let version = order.version;
      for (const [status, token] of moves) {
        // Checked: the answer and the order read back are the one before plus this move by it.
        const moved = await moveOrder(server, order.id, status, {
          as: { token, by: token === kitchen ? by.kitchen : by.floor },
          ifMatch: `"${version}"`,
        });
        assert.equal(moved.status, status);
        assert.equal(moved.version, version + 1);
        version = moved.version;
        closedOrder = moved;
      }
      const list = await expectStatus(call(server, "GET", "/api/orders", { token: floor }), 200);
      // Newest first: the cancelled burst order, then this one.
      assert.equal(list.body.orders.length, 2);
      const shown = list.body.orders[1];
      assert.equal(shown.id, order.id);
      assert.equal(shown.status, "closed");
      assert.deepEqual(
        shown.history.map((h: Json) => h.status),
        ["pending", "queued", "preparing", "ready", "delivered", "closed"],
      );
      const closed = await expectStatus(
        call(server, "GET", "/api/orders?status=closed", { token: kitchen }),
        200,
      );
      assert.deepEqual(closed.body.orders.map((o: Json) => o.id), [order.id]);
      assert.deepEqual(closed.body.orders.map(withoutEstimate), [closedOrder]);
      assert.deepEqual(withoutEstimate(list.body.orders[1]), closedOrder);
      // The cancelled one is left out of the closed ones, and the other way round.
      assert.equal(list.body.orders[0].status, "cancelled");
      const cancelled = await readOrders(server, "status=cancelled", { token: kitchen });
      assert.deepEqual(idsOf(cancelled), [list.body.orders[0].id]);
    });

    await t.step(
      "a body over 64 KiB is a 413 over the wire, with a length or chunked",
      async () => {
        const valid = JSON.stringify({
          tableToken: tables[2].token,
          items: [{ menuItemId: order.items[0].menuItemId, quantity: 1 }],
        });
        const bytes = new TextEncoder().encode(valid + " ".repeat(1024 * 1024));
        const bodies: Array<() => BodyInit> = [
          () => bytes,
          () =>
            new ReadableStream({
              start(controller) {
                for (let i = 0; i < bytes.length; i += 8 * 1024) {
                  controller.enqueue(bytes.subarray(i, i + 8 * 1024));
                }
                controller.close();
              },
            }),
        ];
        for (const body of bodies) {
          const response = await fetch(`${server.base}/api/orders`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: body(),
          });
          const answer = await response.json();
          assert.equal(response.status, 413, JSON.stringify(answer));
          assert.equal(answer.error.code, "payload_too_large");
        }
        const list = await expectStatus(
          call(server, "GET", `/api/orders?table=${tables[2].id}`, { token: floor }),
          200,
        );
        assert.deepEqual(list.body.orders, []);
      },
    );

    await t.step("SIGTERM stops the server cleanly and promptly, kitchen stream open", async () => {
      // A kitchen screen is always connected; it must not hold the shutdown up.
      const stream = await fetch(`${server.base}/api/kitchen/stream`, {
        headers: { authorization: `Bearer ${kitchen}` },
      });
      assert.equal(stream.status, 200);
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let received = "";
      while (!received.includes("event: snapshot")) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the stream ended before its snapshot: ${received}`);
        received += value;
      }
      await stopCleanly(server);
      try {
        for (;;) {
          const { done } = await reader.read();
          if (done) break;
        }
      } catch {
        // the connection was cut: ended as well
      }
    });

    await t.step("a restart on the same store finds everything, seeded once", async () => {
      server = await startServer(env);
      const seen = await expectStatus(
        call(server, "GET", `/api/orders/${order.id}`, { token: kitchen }),
        200,
      );
      assert.equal(seen.body.status, "closed");
      assert.equal(seen.body.version, 6);
      assert.deepEqual(
        seen.body.history.map((h: Json) => [h.status, h.by.split(":")[0]]),
        [
          ["pending", "guest"],
          ["queued", "server"],
          ["preparing", "kitchen"],
          ["ready", "kitchen"],
          ["delivered", "server"],
          ["closed", "server"],
        ],
      );
      const guest = await expectStatus(
        call(
          server,
          "GET",
          `/api/orders/${order.id}?token=${encodeURIComponent(order.orderToken)}`,
        ),
        200,
      );
      // The guest sees the same order, with the roles that moved it but not their token ids.
      assert.deepEqual(guest.body, {
        ...seen.body,
        history: seen.body.history.map((h: Json) => ({ ...h, by: h.by.split(":")[0] })),
      });
      // Every field as it was before the restart, `by` of each move included.
      assert.deepEqual(withoutEstimate(seen.body), closedOrder);
      const list = await expectStatus(
        call(server, "GET", "/api/orders?status=closed", { token: floor }),
        200,
      );
      assert.deepEqual(list.body.orders.map((o: Json) => o.id), [order.id]);
      const all = await expectStatus(call(server, "GET", "/api/orders", { token: floor }), 200);
      assert.equal(all.body.orders.length, 2);

      const again = await expectStatus(call(server, "GET", "/api/menu?location=demo"), 200);
      assert.deepEqual(again.body, menu, "the menu changed across the restart");
      const tablesAgain = await expectStatus(
        call(server, "GET", "/api/tables", { token: floor }),
        200,
      );
      // As before, but those with an open visit (an order since their last close) are occupied.
      const expectedTables = await Promise.all(tables.map(async (table) => {
        const visit = await call(server, "GET", `/api/tables/${table.id}/visit`, { token: floor });
        return visit.status === 200 && visit.body.status === "open"
          ? { ...table, status: "occupied" }
          : table;
      }));
      assert.ok(expectedTables.some((table) => table.status === "occupied"));
      assert.deepEqual(tablesAgain.body.tables, expectedTables);
      const locations = await expectStatus(
        call(server, "GET", "/api/locations", { token: owner }),
        200,
      );
      assert.deepEqual(locations.body.locations.map((l: Json) => l.slug), ["demo"]);
      // The table token still orders.
      const body = {
        tableToken: tables[0].token,
        items: [{ menuItemId: order.items[0].menuItemId, quantity: 1 }],
      };
      const placed = await expectStatus(call(server, "POST", "/api/orders", { body }), 201);
      await assertPlaced(server, body, placed.body);
      await stopCleanly(server);
    });
  } finally {
    await server.stop().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[e2e] without SEATSERVE_BOOTSTRAP_TOKEN an owner token is generated, printed once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve_e2e_" });
  const env = { SEATSERVE_KV_PATH: `${dir}/store.kv` };
  try {
    const first = await startServer(env);
    let token = "";
    try {
      await waitForOutput(first, /API docs:/);
      const match = /owner token[^:]*:\s*(\S+)/.exec(first.output());
      assert.ok(match, `no owner token printed:\n${first.output()}`);
      token = match[1];
      assert.equal(
        first.output().split(token).length - 1,
        1,
        "the token was printed more than once",
      );
      await expectStatus(call(first, "GET", "/api/locations", { token }), 200);
      await expectStatus(call(first, "GET", "/api/locations", { token: `${token}x` }), 401);
    } finally {
      await stopCleanly(first);
    }
    // Only its hash is kept: the token itself is nowhere in the store.
    const kv = await Deno.openKv(env.SEATSERVE_KV_PATH);
    try {
      for await (const entry of kv.list({ prefix: [] })) {
        const text = JSON.stringify(
          [entry.key, entry.value],
          (_, v) => v instanceof Uint8Array ? new TextDecoder().decode(v) : v,
        );
        assert.ok(!text.includes(token), `the token is stored under ${JSON.stringify(entry.key)}`);
      }
    } finally {
      kv.close();
    }

    const second = await startServer(env);
    try {
      await waitForOutput(second, /API docs:/);
      assert.doesNotMatch(second.output(), /owner token/);
      assert.ok(!second.output().includes(token), "the second start printed the token");
      const locations = await expectStatus(call(second, "GET", "/api/locations", { token }), 200);
      assert.deepEqual(locations.body.locations.map((l: Json) => l.slug), ["demo"]);
    } finally {
      await stopCleanly(second);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[e2e] SEATSERVE_SEED=0 starts with an empty store", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve_e2e_" });
  const owner = randomSecret();
  const server = await startServer({
    SEATSERVE_KV_PATH: `${dir}/store.kv`,
    SEATSERVE_BOOTSTRAP_TOKEN: owner,
    SEATSERVE_SEED: "0",
  });
  try {
    await expectStatus(call(server, "GET", "/api/menu?location=demo"), 404);
    const locations = await expectStatus(
      call(server, "GET", "/api/locations", { token: owner }),
      200,
    );
    assert.deepEqual(locations.body.locations, []);
    // The store is usable: the owner creates the first location, read back as sent.
    const first = await addLocation(server, { slug: "first", name: "First", currency: "EUR" });
    await expectStatus(call(server, "GET", "/api/menu?location=first"), 200);
    assert.deepEqual(
      (await expectStatus(call(server, "GET", "/api/locations", { token: owner }), 200)).body,
      { locations: [first] },
    );
  } finally {
    await stopCleanly(server);
    await Deno.remove(dir, { recursive: true });
  }
});
