/**
 * `eta` events: a guest's stream hears when its order's estimate moves by a minute or more, and
 * only then; the estimate never reaches the feed.
 */
import assert from "node:assert/strict";
import { listChangesAfter } from "../../lib/feed/feed.ts";
import { call, expect } from "../fixtures.ts";
import { OWNER_TOKEN, streamTest } from "../routes/stream_fixture.ts";

streamTest("[kitchen] a guest's stream gets eta events when the estimate moves", async (t) => {
  const settings = (body: unknown) =>
    call(t, "PATCH", "/api/settings", { token: OWNER_TOKEN, body });
  expect(await settings({ autoAccept: true }), 200);
  let n = 0;
  const place = async () => {
    n++;
    const body = {
      tableToken: t.tableTokens[n % t.tableTokens.length],
      items: [{ menuItemId: t.itemIds[0], quantity: 1 }],
    };
    return expect(await call(t, "POST", "/api/orders", { body }), 201);
  };
  for (let i = 0; i < 3; i++) await place();
  const mine = await place();
  const guest = await t.follow(mine);
  try {
    await guest.untilEvents(1);
    const first = JSON.parse(guest.events[0].data);
    assert.equal(first.status, "queued");
    const before = Date.parse(first.estimatedReadyAt);
    assert.ok(before > Date.now(), "an estimate in the future");

    // Another order elsewhere changes nothing ahead of this one: no eta.
    await place();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(guest.etas.length, 0, "an estimate that did not move sends nothing");

    // Pacing at one open order: the orders ahead must be ready first; the next change the hub
    // takes in moves this order's estimate out, and the guest hears of it.
    expect(await settings({ maxOpenOrders: 1 }), 200);
    await place();
    await guest.until(() => guest.etas.length > 0);
    const eta = JSON.parse(guest.etas[0].data);
    assert.deepEqual(Object.keys(eta), ["estimatedReadyAt"]);
    assert.ok(Date.parse(eta.estimatedReadyAt) >= before + 60_000, `${eta.estimatedReadyAt}`);
    assert.equal(guest.etas[0].id, undefined, "an eta is not a change of the feed");
    const read = expect(
      await call(t, "GET", `/api/orders/${mine.id}?token=${mine.orderToken}`),
      200,
    );
    assert.equal(read.estimatedReadyAt, eta.estimatedReadyAt);

    // Its next change carries the estimate as of then; the feed never holds one.
    const moved = await t.move(mine.id, "preparing");
    await guest.untilEvents(2);
    assert.equal(JSON.parse(guest.events[1].data).version, moved.version);
    for await (const change of listChangesAfter(t.services.kv, t.locationId, null)) {
      if (change.type === "order") assert.ok(!("estimatedReadyAt" in change.order));
    }
  } finally {
    await guest.close();
  }
});
