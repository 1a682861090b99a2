/** Settings (`/api/settings`): auto-accept, pacing and pause, through the API and the feed. */
import assert from "node:assert/strict";
import { listChangesAfter } from "../../lib/feed/feed.ts";
import { DEFAULT_SETTINGS } from "../../lib/kitchen/settings.ts";
import {
  call,
  deviceToken,
  expect,
  menuItems,
  orderLine,
  OWNER_TOKEN,
  randomOrderBody,
  readOrder,
  servicesTest,
  tablesOf,
  type TestServices,
} from "../fixtures.ts";

async function settingsChanges(s: TestServices) {
  const found = [];
  for await (const change of listChangesAfter(s.kv, s.location.id, null)) {
    if (change.type === "settings") found.push(change.settings);
  }
  return found;
}

function patch(s: TestServices, body: unknown, token = OWNER_TOKEN) {
  return call(s, "PATCH", "/api/settings", { token, body });
}

servicesTest("[kitchen] settings: auto-accept, pacing and pause", async (s, t) => {
  await t.step("defaults; managers change them, others may not; bad values are 422", async () => {
    assert.deepEqual(
      expect(await call(s, "GET", "/api/settings", { token: OWNER_TOKEN }), 200),
      DEFAULT_SETTINGS,
    );
    const manager = await deviceToken(s, "manager");
    const kitchen = await deviceToken(s, "kitchen");
    const server = await deviceToken(s, "server");
    for (const token of [kitchen.token, server.token]) {
      expect(await call(s, "GET", "/api/settings", { token }), 403);
      expect(await patch(s, { autoAccept: true }, token), 403);
    }
    expect(await patch(s, {}), 422);
    expect(await patch(s, { maxOpenOrders: -1 }), 422);
    expect(await patch(s, { autoAccept: "yes" }), 422);
    expect(await patch(s, { bogus: 1 }), 422);
    expect(await patch(s, { ticketWarnMinutes: 30, ticketLateMinutes: 20 }), 422);
    assert.deepEqual(await settingsChanges(s), [], "refusals change nothing");
    const changed = expect(
      await patch(s, { ticketWarnMinutes: 8, ticketLateMinutes: 15 }, manager.token),
      200,
    );
    const expected = { ...DEFAULT_SETTINGS, ticketWarnMinutes: 8, ticketLateMinutes: 15 };
    assert.deepEqual(changed, expected);
    assert.deepEqual(
      expect(await call(s, "GET", "/api/settings", { token: manager.token }), 200),
      expected,
    );
    assert.deepEqual(await settingsChanges(s), [expected], "one settings change on the feed");
  });

  await t.step("auto-accept: created queued, history pending then queued by system", async () => {
    expect(await patch(s, { autoAccept: true }), 200);
    const body = await randomOrderBody(s);
    const created = expect(await call(s, "POST", "/api/orders", { body }), 201);
    assert.equal(created.status, "queued");
    assert.equal(created.version, 1);
    assert.deepEqual(created.history, [
      { status: "pending", at: created.createdAt, by: "guest" },
      { status: "queued", at: created.createdAt, by: "system" },
    ]);
    const { orderToken: _, estimatedReadyAt: __, ...stored } = created;
    assert.deepEqual(await readOrder(s, created.id), stored);
    // An idempotent retry answers with the first response, auto-accepted as it was.
    const key = crypto.randomUUID();
    const first = expect(
      await call(s, "POST", "/api/orders", { body, headers: { "idempotency-key": key } }),
      201,
    );
    const again = expect(
      await call(s, "POST", "/api/orders", { body, headers: { "idempotency-key": key } }),
      201,
    );
    assert.equal(again.id, first.id);
    assert.deepEqual(again.history, first.history);
    expect(await patch(s, { autoAccept: false }), 200);
    const manual = expect(await call(s, "POST", "/api/orders", { body }), 201);
    assert.equal(manual.status, "pending");
    assert.deepEqual(manual.history.map((h: { status: string }) => h.status), ["pending"]);
  });

  await t.step("pause: 409 ordering_paused with the guest's sentence; resume", async () => {
    const message = "The kitchen is closed for a moment; please ask a server.";
    expect(await patch(s, { orderingPaused: true, pausedMessage: message }), 200);
    const body = await randomOrderBody(s);
    const before = (await call(s, "GET", "/api/orders?limit=200", { token: OWNER_TOKEN })).body;
    const refused = await call(s, "POST", "/api/orders", { body });
    expect(refused, 409, "ordering_paused");
    assert.equal(refused.body.error.message, message);
    const after = (await call(s, "GET", "/api/orders?limit=200", { token: OWNER_TOKEN })).body;
    assert.equal(after.orders.length, before.orders.length, "no order created");
    expect(await patch(s, { orderingPaused: false }), 200);
    expect(await call(s, "POST", "/api/orders", { body }), 201);
  });

  await t.step("pacing: at maxOpenOrders, new orders still 201 but later", async () => {
    const { slow, quick } = await pacingDishes(s);
    const table = (await tablesOf(s))[1].token;
    expect(await patch(s, { autoAccept: true }), 200);
    for (let i = 0; i < 4; i++) {
      const ahead = { tableToken: table, items: [orderLine(slow, 3)] };
      expect(await call(s, "POST", "/api/orders", { body: ahead }), 201);
    }
    expect(await patch(s, { maxOpenOrders: 1 }), 200);
    const body = { tableToken: table, items: [orderLine(quick)] };
    const paced = expect(await call(s, "POST", "/api/orders", { body }), 201);
    const answeredAt = Date.now();
    const read = async () =>
      expect(await call(s, "GET", `/api/orders/${paced.id}`, { token: OWNER_TOKEN }), 200)
        .estimatedReadyAt;
    assert.equal(await read(), paced.estimatedReadyAt, "read as answered");
    // The same order without pacing: its estimate comes back in.
    expect(await patch(s, { maxOpenOrders: 0 }), 200);
    const free = await read();
    assert.ok(
      Date.parse(paced.estimatedReadyAt) > Date.parse(free) + 60_000,
      `paced ${paced.estimatedReadyAt}, not later than ${free} unpaced`,
    );
    expect(await patch(s, { maxOpenOrders: 1 }), 200);
    // As answered, give or take the clock: the orders ahead of it, behind plan, move out with it.
    const again = Date.parse(await read()) - Date.parse(paced.estimatedReadyAt);
    assert.ok(Math.abs(again) <= 2_000 + (Date.now() - answeredAt), `moved by ${again} ms`);
    expect(await patch(s, { maxOpenOrders: 0 }), 200);
    expect(await patch(s, { autoAccept: false }), 200);
  });

  await t.step("pacing: a new order's answer follows the settings it was priced from", async () => {
    // The settings change's watch notification can drop the cache's snapshot a moment after the
    // next order was priced from the new one (CI saw it): its answer must still be paced.
    const { slow, quick } = await pacingDishes(s);
    const table = (await tablesOf(s))[2].token;
    const hub = await s.services.hubs.get(s.location.id);
    expect(await patch(s, { autoAccept: true }), 200);
    for (let i = 0; i < 4; i++) {
      const ahead = { tableToken: table, items: [orderLine(slow, 3)] };
      expect(await call(s, "POST", "/api/orders", { body: ahead }), 201);
    }
    expect(await patch(s, { maxOpenOrders: 1 }), 200);
    const placed = await s.services.intake.place({ tableToken: table, items: [orderLine(quick)] });
    assert.equal(placed.snapshot?.settings.maxOpenOrders, 1, "priced from the new settings");
    s.services.catalog.invalidate(s.location.id); // as the late notification does
    const answered = hub.estimateAtCreation(placed.order, placed.snapshot);
    const read = expect(
      await call(s, "GET", `/api/orders/${placed.order.id}`, { token: OWNER_TOKEN }),
      200,
    ).estimatedReadyAt;
    assert.ok(answered !== null);
    const drift = Math.abs(Date.parse(read) - Date.parse(answered));
    assert.ok(drift <= 2_000, `answered ${answered}, read ${read}`);
    expect(await patch(s, { maxOpenOrders: 0 }), 200);
    expect(await patch(s, { autoAccept: false }), 200);
  });
});

/**
 * Dishes for pacing: the longest, for the orders ahead, and a quick one of another station for
 * the paced order, so that unpaced it would be ready long before them (one of the slowest
 * station, whose own queue already puts it last, would show nothing of pacing).
 */
async function pacingDishes(s: TestServices) {
  const items = (await menuItems(s, true)).filter((i) => i.prepMinutes);
  const slow = items.reduce((a, b) => b.prepMinutes! > a.prepMinutes! ? b : a);
  const quick = items.filter((i) => i.station !== slow.station)
    .reduce((a, b) => b.prepMinutes! < a.prepMinutes! ? b : a);
  return { slow, quick };
}
