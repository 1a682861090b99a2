/**
 * Line readiness and recall (API.md v1.1 "Kitchen operations") through the HTTP API: one order
 * write path, on the feed, checked against the version.
 */
import assert from "node:assert/strict";
import { listChangesAfter } from "../../lib/feed/feed.ts";
import type { Order } from "../../lib/schemas.ts";
import {
  call,
  deviceToken,
  expect,
  OWNER_BY,
  OWNER_TOKEN,
  patchOrder,
  placeOrder,
  readOrder,
  servicesTest,
  type TestServices,
} from "../fixtures.ts";

/** Every feed change of one order, in commit order. */
async function feedOf(s: TestServices, orderId: string): Promise<Order[]> {
  const orders: Order[] = [];
  for await (const change of listChangesAfter(s.kv, s.location.id, null)) {
    if (change.type === "order" && change.order.id === orderId) orders.push(change.order);
  }
  return orders;
}

/** Places an order of `lines` lines and moves it to `status` (owner moves). */
async function orderAt(s: TestServices, status: string, lines = 3) {
  const order = await placeOrder(s, { lines });
  const path: Record<string, string[]> = {
    pending: [],
    queued: ["queued"],
    preparing: ["queued", "preparing"],
    ready: ["queued", "preparing", "ready"],
    delivered: ["queued", "preparing", "ready", "delivered"],
    cancelled: ["cancelled"],
  };
  for (const to of path[status]) assert.equal((await patchOrder(s, order.id, to)).status, 200);
  return await readOrder(s, order.id);
}

function bump(s: TestServices, orderId: string, index: number, token: string, undo = false) {
  return call(s, undo ? "DELETE" : "POST", `/api/orders/${orderId}/lines/${index}/ready`, {
    token,
  });
}

servicesTest("[kitchen] line readiness and recall", async (s, t) => {
  const kitchen = await deviceToken(s, "kitchen");

  await t.step("20 concurrent bumps of one line: exactly one change", async () => {
    const order = await orderAt(s, "queued");
    const before = (await feedOf(s, order.id)).length;
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => bump(s, order.id, 1, kitchen.token)),
    );
    for (const reply of replies) expect(reply, 200);
    assert.equal(replies.filter((r) => r.headers.get("line-changed") === "true").length, 1);
    const changes = await feedOf(s, order.id);
    assert.equal(changes.length, before + 1, "one feed change");
    const after = await readOrder(s, order.id);
    assert.equal(after.version, order.version + 1);
    assert.equal(after.status, "preparing", "the first ready line moves a queued order on");
    assert.deepEqual(after.history.slice(-1), [
      { status: "preparing", at: after.items[1].readyAt!, by: kitchen.by },
    ]);
    assert.deepEqual(after.items.map((l) => l.readyAt === null), [true, false, true]);
    for (const reply of replies) assert.deepEqual(reply.body.items, after.items);
  });

  await t.step("every line bumped: ready once, with preparing before it", async () => {
    const order = await orderAt(s, "queued");
    for (const index of [2, 0, 1]) expect(await bump(s, order.id, index, kitchen.token), 200);
    // The order is ready now: its lines no longer change (recall first).
    expect(await bump(s, order.id, 1, kitchen.token), 409, "illegal_transition");
    const after = await readOrder(s, order.id);
    assert.equal(after.status, "ready");
    assert.equal(after.version, order.version + 3);
    assert.deepEqual(after.history.map((h) => h.status), [
      "pending",
      "queued",
      "preparing",
      "ready",
    ]);
    assert.equal(after.history[3].at, after.items[1].readyAt, "ready with its last line");
    assert.ok(after.items.every((l) => l.readyAt));
    assert.equal((await feedOf(s, order.id)).filter((o) => o.status === "ready").length, 1);
    const read = expect(
      await call(s, "GET", `/api/orders/${order.id}`, { token: kitchen.token }),
      200,
    );
    assert.equal(read.estimatedReadyAt, after.history[3].at, "a ready order's estimate: its time");
  });

  await t.step("recall brings every line back; re-bump makes it ready again", async () => {
    const order = await orderAt(s, "queued", 2);
    for (const index of [0, 1]) expect(await bump(s, order.id, index, kitchen.token), 200);
    const recalled = expect(
      await call(s, "PATCH", `/api/orders/${order.id}`, {
        token: kitchen.token,
        body: { status: "preparing" },
      }),
      200,
    );
    assert.equal(recalled.status, "preparing");
    assert.deepEqual(recalled.items.map((l: { readyAt: unknown }) => l.readyAt), [null, null]);
    assert.deepEqual(recalled.history.slice(-1)[0].status, "preparing");
    // Undo of a line that is not ready changes nothing.
    const undo = expect(await bump(s, order.id, 0, kitchen.token, true), 200);
    assert.equal(undo.version, recalled.version);
    for (const index of [1, 0]) expect(await bump(s, order.id, index, kitchen.token), 200);
    const after = await readOrder(s, order.id);
    assert.equal(after.status, "ready");
    assert.deepEqual(after.history.map((h) => h.status), [
      "pending",
      "queued",
      "preparing",
      "ready",
      "preparing",
      "ready",
    ]);
    assert.ok(after.items.every((l) => l.readyAt && l.readyAt >= recalled.updatedAt));
    // The feed holds each version once, in order.
    assert.deepEqual((await feedOf(s, order.id)).map((o) => o.version), [1, 2, 3, 4, 5, 6, 7]);
  });

  await t.step("undo of a ready line of a preparing order", async () => {
    const order = await orderAt(s, "queued", 2);
    expect(await bump(s, order.id, 0, kitchen.token), 200);
    const undone = expect(await bump(s, order.id, 0, kitchen.token, true), 200);
    assert.equal(undone.status, "preparing");
    assert.equal(undone.items[0].readyAt, null);
    assert.equal(undone.version, order.version + 2);
  });

  await t.step("refused on pending, ready, delivered and cancelled orders", async () => {
    for (const status of ["pending", "ready", "delivered", "cancelled"]) {
      const order = await orderAt(s, status);
      for (const undo of [false, true]) {
        expect(await bump(s, order.id, 0, kitchen.token, undo), 409, "illegal_transition");
      }
      assert.deepEqual(await readOrder(s, order.id), order, `${status}: nothing changed`);
    }
  });

  await t.step("If-Match: the version the screen saw, else 409 and nothing changes", async () => {
    const order = await orderAt(s, "queued", 2);
    const path = `/api/orders/${order.id}/lines/0/ready`;
    const stale = `"${order.version - 1}"`;
    for (const method of ["POST", "DELETE"] as const) {
      const refused = await call(s, method, path, {
        token: kitchen.token,
        headers: { "if-match": stale },
      });
      expect(refused, 409, "version_conflict");
    }
    expect(
      await call(s, "POST", path, { token: kitchen.token, headers: { "if-match": 'W/"1"' } }),
      409,
      "version_conflict",
    );
    assert.deepEqual(await readOrder(s, order.id), order, "nothing changed");
    const bumped = expect(
      await call(s, "POST", path, {
        token: kitchen.token,
        headers: { "if-match": `"${order.version}"` },
      }),
      200,
    );
    assert.equal(bumped.version, order.version + 1);
    assert.notEqual(bumped.items[0].readyAt, null);
    const undone = expect(
      await call(s, "DELETE", path, {
        token: kitchen.token,
        headers: { "if-match": `"${bumped.version}"` },
      }),
      200,
    );
    assert.equal(undone.items[0].readyAt, null);
    expect(
      await call(s, "POST", path, { token: kitchen.token, headers: { "if-match": "three" } }),
      400,
      "invalid_if_match",
    );
  });

  await t.step("a server may not bump; unknown lines and orders are 404", async () => {
    const server = await deviceToken(s, "server");
    const order = await orderAt(s, "queued", 1);
    expect(await bump(s, order.id, 0, server.token), 403);
    expect(await bump(s, order.id, 5, kitchen.token), 404);
    expect(await bump(s, "01JUNKNOWNORDER00000000000", 0, kitchen.token), 404);
    expect(
      await call(s, "POST", `/api/orders/${order.id}/lines/x/ready`, { token: kitchen.token }),
      400,
    );
    // The owner may.
    const done = expect(await bump(s, order.id, 0, OWNER_TOKEN), 200);
    assert.equal(done.status, "ready");
    assert.deepEqual(done.history.slice(-2).map((h: { by: string }) => h.by), [
      OWNER_BY,
      OWNER_BY,
    ]);
  });
});
