/**
 * Kitchen and floor staff mutations are audited (API.md v1.1): one entry each, written in the
 * change's own commit, with its actor and request id; no entry for a refusal or a no-op.
 */
import assert from "node:assert/strict";
import {
  call,
  deviceToken,
  expect,
  type Json,
  OWNER_TOKEN,
  patchOrder,
  placeOrder,
  readTables,
  servicesTest,
} from "../fixtures.ts";

servicesTest("[kitchen] settings, bumps, acknowledgements and closes are audited", async (s) => {
  const kitchen = await deviceToken(s, "kitchen");
  const server = await deviceToken(s, "server");
  const audit = async (action: string) =>
    expect(await call(s, "GET", `/api/audit?action=${action}`, { token: OWNER_TOKEN }), 200)
      .entries as Json[];

  const settings = await call(s, "PATCH", "/api/settings", {
    token: OWNER_TOKEN,
    body: { maxOpenOrders: 9 },
    headers: { "x-request-id": "req-settings-1" },
  });
  expect(settings, 200);
  expect(await call(s, "PATCH", "/api/settings", { token: OWNER_TOKEN, body: { bogus: 1 } }), 422);
  const [changed, ...none] = await audit("settings.update");
  assert.deepEqual(none, []);
  assert.equal(changed.actor.type, "bootstrap");
  assert.equal(changed.requestId, "req-settings-1");
  assert.deepEqual(changed.target, { type: "settings", id: s.location.id });
  assert.equal(changed.before.maxOpenOrders, 0);
  assert.equal(changed.after.maxOpenOrders, 9);

  // At a table of its own: the visit closed below (table 6) must hold only its own order.
  const first = (await readTables(s))[0];
  const order = await placeOrder(s, { lines: 1, tableToken: first.token });
  assert.equal((await patchOrder(s, order.id, "queued")).status, 200);
  const bump = () =>
    call(s, "POST", `/api/orders/${order.id}/lines/0/ready`, { token: kitchen.token });
  expect(await bump(), 200);
  expect(await bump(), 409, "illegal_transition"); // ready now
  const bumps = await audit("order.line_ready");
  assert.equal(bumps.length, 1);
  assert.equal(bumps[0].actor.id, kitchen.id);
  assert.deepEqual(bumps[0].before, { status: "queued", version: 2, line: 0 });
  assert.deepEqual(bumps[0].after, { status: "ready", version: 3, line: 0 });

  const table = (await readTables(s))[6];
  const request = expect(
    await call(s, "POST", "/api/service-requests", {
      body: { tableToken: table.token, kind: "bill" },
    }),
    201,
  );
  const ack = () =>
    call(s, "POST", `/api/service-requests/${request.id}/ack`, { token: server.token });
  expect(await ack(), 200);
  expect(await ack(), 409, "already_acknowledged");
  const acks = await audit("service_request.acknowledge");
  assert.equal(acks.length, 1);
  assert.equal(acks[0].actor.id, server.id);
  assert.deepEqual(acks[0].target, { type: "service_request", id: request.id });

  const mine = await placeOrder(s, { tableToken: table.token });
  const close = () =>
    call(s, "POST", `/api/tables/${table.id}/visit/close`, { token: server.token });
  expect(await close(), 409, "visit_has_open_orders");
  assert.equal((await patchOrder(s, mine.id, "cancelled")).status, 200);
  const closed = expect(await close(), 200);
  const closes = await audit("visit.close");
  assert.equal(closes.length, 1);
  assert.deepEqual(closes[0].target, { type: "visit", id: closed.id });
  assert.deepEqual(closes[0].after.orders, [mine.id]);
});
