/**
 * Table visits (the bill): the first order opens one (table `occupied`), later orders join it,
 * a cancelled order leaves the total, closing waits for every order to be delivered or
 * cancelled, closing frees the table and the next order opens a new visit.
 */
import assert from "node:assert/strict";
import { listChangesAfter } from "../../lib/feed/feed.ts";
import {
  call,
  deviceToken,
  expect,
  type Json,
  patchOrder,
  placeOrder,
  readTables,
  servicesTest,
} from "../fixtures.ts";

servicesTest("[visits] a table's visit from its first order to its close", async (s, t) => {
  const server = await deviceToken(s, "server");
  const kitchen = await deviceToken(s, "kitchen");
  const table = (await readTables(s))[4];
  const other = (await readTables(s))[5];
  const visitOf = async (token = server.token) =>
    await call(s, "GET", `/api/tables/${table.id}/visit`, { token });
  const guestVisit = async () =>
    await call(s, "GET", `/api/visit?table=${encodeURIComponent(table.token)}`);
  const close = async (token = server.token) =>
    await call(s, "POST", `/api/tables/${table.id}/visit/close`, { token });
  const move = async (id: string, ...path: string[]) => {
    for (const to of path) assert.equal((await patchOrder(s, id, to)).status, 200);
  };
  const statusOf = async (id: string) =>
    (await readTables(s)).find((x: Json) => x.id === id)!.status;

  let first: Json;
  let second: Json;
  let cancelled: Json;

  await t.step("a free table has no visit; its first order opens one", async () => {
    expect(await visitOf(), 404);
    expect(await guestVisit(), 404, "no_open_visit");
    expect(await close(), 409, "no_open_visit");
    assert.equal(await statusOf(table.id), "available");
    first = await placeOrder(s, { tableToken: table.token });
    assert.equal(await statusOf(table.id), "occupied");
    assert.equal(await statusOf(other.id), "available", "only its own table");
    const visit = expect(await visitOf(), 200);
    assert.deepEqual(visit, {
      id: first.id,
      tableId: table.id,
      tableNumber: table.number,
      openedAt: first.createdAt,
      closedAt: null,
      orders: [first.id],
      totalCents: first.totalCents,
      currency: first.currency,
      status: "open",
      closedBy: null,
    });
    assert.deepEqual(expect(await guestVisit(), 200), visit, "the guest sees the same bill");
    expect(await call(s, "GET", `/api/visit?table=nope`), 401, "invalid_table_token");
  });

  await t.step("later orders join it; a cancelled one leaves the total", async () => {
    second = await placeOrder(s, { tableToken: table.token });
    cancelled = await placeOrder(s, { tableToken: table.token });
    await placeOrder(s, { tableToken: other.token }); // another table's bill
    await move(cancelled.id, "cancelled");
    const visit = expect(await visitOf(kitchen.token), 200);
    assert.deepEqual(visit.orders, [first.id, second.id, cancelled.id]);
    assert.equal(visit.totalCents, first.totalCents + second.totalCents);
    assert.equal(visit.status, "open");
    assert.deepEqual(expect(await guestVisit(), 200), visit);
  });

  await t.step("closing with an order not delivered is 409, and changes nothing", async () => {
    await move(first.id, "queued", "preparing", "ready", "delivered");
    const refused = expect(await close(), 409, "visit_has_open_orders");
    assert.deepEqual(refused.error.details, [{
      path: `orders.${second.id}`,
      message: "Order is pending.",
    }]);
    expect(await close(kitchen.token), 403);
    assert.equal(expect(await visitOf(), 200).status, "open");
    assert.equal(await statusOf(table.id), "occupied");
  });

  await t.step("closing frees the table; the next order opens a new visit", async () => {
    await move(second.id, "queued", "preparing", "ready", "delivered", "closed");
    const closed = expect(await close(), 200);
    assert.equal(closed.status, "closed");
    assert.equal(closed.closedBy, server.by);
    assert.deepEqual(closed.orders, [first.id, second.id, cancelled.id]);
    assert.equal(closed.totalCents, first.totalCents + second.totalCents);
    assert.equal(await statusOf(table.id), "available");
    assert.deepEqual(expect(await visitOf(), 200), closed, "staff read the last visit");
    expect(await guestVisit(), 404, "no_open_visit");
    expect(await close(), 409, "no_open_visit");

    const next = await placeOrder(s, { tableToken: table.token });
    assert.equal(await statusOf(table.id), "occupied");
    const visit = expect(await visitOf(), 200);
    assert.equal(visit.id, next.id);
    assert.deepEqual(visit.orders, [next.id]);
    assert.equal(visit.totalCents, next.totalCents);

    // The close is on the feed (the mirror and webhooks see it).
    const visits = [];
    for await (const change of listChangesAfter(s.kv, s.location.id, null)) {
      if (change.type === "visit") visits.push(change.visit);
    }
    assert.deepEqual(visits, [{ ...closed, locationId: s.location.id }]);
  });

  await t.step("an order placed while a close races it is never lost from a bill", async () => {
    const visit = expect(await visitOf(), 200);
    const [id] = visit.orders;
    await move(id, "cancelled");
    // Orders placed concurrently with the close: each lands in the closed visit (then it must
    // have been settled: it is not, so the close is refused) or in the next one.
    const placing = Array.from({ length: 5 }, () => placeOrder(s, { tableToken: table.token }));
    const closing = close();
    const placed = await Promise.all(placing);
    const reply = await closing;
    const open = expect(await visitOf(), 200);
    if (reply.status === 200) {
      const inClosed = new Set(reply.body.orders);
      for (const order of placed) {
        assert.ok(inClosed.has(order.id) !== open.orders.includes(order.id), `order ${order.id}`);
        assert.ok(!inClosed.has(order.id), "a pending order in a closed visit");
      }
    } else {
      expect(reply, 409, "visit_has_open_orders");
      for (const order of placed) assert.ok(open.orders.includes(order.id));
    }
  });
});
