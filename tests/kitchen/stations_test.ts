/**
 * Station screens: `GET /api/kitchen/stream?station=bar` sends exactly the orders with a bar line,
 * in commit order, and resumes exactly; the expo screen (no station) sends every order.
 */
import assert from "node:assert/strict";
import { call, expect, type Json, withoutRequiredOptions } from "../fixtures.ts";
import { RawSse, streamTest } from "../routes/stream_fixture.ts";
import { DEFAULT_SETTINGS, screenSettings } from "../../lib/kitchen/settings.ts";

const SCREEN = screenSettings(DEFAULT_SETTINGS);

streamTest("[kitchen] station screens: only their orders, in order, resumed exactly", async (t) => {
  const items = withoutRequiredOptions(t.items);
  const bar = items.filter((i) => i.station === "bar");
  const food = items.filter((i) => i.station !== "bar");
  assert.ok(bar.length && food.length, "the demo menu has bar and food items");
  const url = (station?: string) =>
    `${t.base}/api/kitchen/stream${station ? `?station=${station}` : ""}`;
  const auth = { authorization: `Bearer ${t.kitchenToken}` };
  const barScreen = await RawSse.open(url("bar"), auth);
  const expo = await RawSse.open(url(), auth);
  try {
    await barScreen.untilEvents(1);
    await expo.untilEvents(1);
    assert.deepEqual(JSON.parse(barScreen.events[0].data), { orders: [], settings: SCREEN });

    // 30 orders: food only, drinks only, or both; placed concurrently in waves.
    const kinds = Array.from({ length: 30 }, (_, i) => ["food", "bar", "both"][i % 3]);
    const placed: Json[] = [];
    for (let wave = 0; wave < 3; wave++) {
      placed.push(
        ...await Promise.all(
          kinds.slice(wave * 10, wave * 10 + 10).map(async (kind, i) => {
            const lines = kind === "food"
              ? [food[i % food.length]]
              : kind === "bar"
              ? [bar[i % bar.length]]
              : [food[i % food.length], bar[i % bar.length]];
            const body = {
              tableToken: t.tableTokens[i % t.tableTokens.length],
              items: lines.map((item) => ({ menuItemId: item.id, quantity: 1 })),
            };
            return expect(await call(t, "POST", "/api/orders", { body }), 201);
          }),
        ),
      );
    }
    const withBar = new Set(
      placed.filter((o) => o.items.some((l: Json) => l.station === "bar")).map((o) => o.id),
    );
    assert.equal(withBar.size, 20);
    await expo.untilEvents(31);
    await barScreen.untilEvents(21);
    const expoOrders = expo.orders();
    const barOrders = barScreen.orders();
    assert.deepEqual(new Set(expoOrders.map((o) => o.id)), new Set(placed.map((o) => o.id)));
    // Exactly the expo's bar orders, in the same (commit) order, with the same ids.
    const expected = expo.events.slice(1).filter((e) => withBar.has(JSON.parse(e.data).id));
    assert.deepEqual(
      barScreen.events.slice(1).map((e) => [e.id, e.data]),
      expected.map((e) => [e.id, e.data]),
    );
    assert.ok(barOrders.every((o) => o.items.some((l) => l.station === "bar")));

    // A move of a food-only order is not on the bar screen; one of a bar order is.
    const foodOnly = placed.find((o) => !withBar.has(o.id))!;
    const drinks = placed.find((o) => withBar.has(o.id))!;
    await t.move(foodOnly.id, "queued");
    await t.move(drinks.id, "queued");
    await expo.untilEvents(33);
    await barScreen.untilEvents(22);
    assert.equal(JSON.parse(barScreen.events[21].data).id, drinks.id);

    // Resume after the 10th bar event: exactly the bar events after it.
    const resumed = await RawSse.open(url("bar"), {
      ...auth,
      "last-event-id": barScreen.events[10].id!,
    });
    try {
      await resumed.untilEvents(11);
      assert.deepEqual(
        resumed.events.map((e) => e.id),
        barScreen.events.slice(11).map((e) => e.id),
      );
    } finally {
      await resumed.close();
    }

    // A fresh bar screen's snapshot holds the open orders with a bar line, and no other.
    const fresh = await RawSse.open(url("bar"), auth);
    try {
      await fresh.untilEvents(1);
      const snapshot = JSON.parse(fresh.events[0].data).orders;
      assert.deepEqual(new Set(snapshot.map((o: Json) => o.id)), withBar);
      assert.ok(snapshot.every((o: Json) => typeof o.estimatedReadyAt === "string"));
    } finally {
      await fresh.close();
    }
    expect(
      await call(t, "GET", "/api/kitchen/stream?station=Bar!", { token: t.kitchenToken }),
      400,
    );
  } finally {
    await barScreen.close();
    await expo.close();
  }
});
