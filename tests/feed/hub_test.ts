/** The change-feed hub on a real in-memory store, driven through the real write paths. */
import assert from "node:assert/strict";
import { DEFAULT_SETTINGS, screenSettings } from "../../lib/kitchen/settings.ts";
import { listChangesAfter, type OrderFeedChange, parseFeedEventId } from "../../lib/feed/feed.ts";
import { Hubs, type Subscription } from "../../lib/feed/hub.ts";
import { eventKey, eventsPrefix } from "../../lib/kv/keys.ts";
import type { OrderStatus } from "../../lib/orders/lifecycle.ts";
import type { Order } from "../../lib/schemas.ts";
import {
  moveOrder,
  orderSequence,
  readOrder,
  servicesTest,
  type TestServices,
} from "../fixtures.ts";

/** The store of a hub test, and its writes: orders placed and moved through the API, checked. */
async function hubFixture(s: TestServices) {
  const place = await orderSequence(s);
  return {
    kv: s.kv,
    services: s.services,
    locationId: s.location.id,
    place: () => place(),
    move: (id: string, to: OrderStatus) => moveOrder(s, id, to),
    read: (id: string) => readOrder(s, id),
  };
}

/** Registers a hub test on a fresh seeded store (`[hub] …`). */
function hubTest(
  name: string,
  fn: (t: Awaited<ReturnType<typeof hubFixture>>, step: Deno.TestContext) => Promise<void>,
) {
  servicesTest(name, async (s, step) => await fn(await hubFixture(s), step));
}

/** The open orders as of `cursor`, folded from the whole feed: the ground truth. */
async function openAt(kv: Deno.Kv, locationId: string, cursor: string | null): Promise<Order[]> {
  const until = cursor ? parseFeedEventId(cursor)! : null;
  const state = new Map<string, Order>();
  if (!until) return [];
  for await (const change of listChangesAfter(kv, locationId, null)) {
    if (
      change.versionstamp > until.versionstamp ||
      (change.versionstamp === until.versionstamp && change.index > until.index)
    ) break;
    if (change.type === "order") state.set(change.order.id, change.order);
  }
  return [...state.values()].filter((o) => o.status !== "closed" && o.status !== "cancelled")
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

function replayed(s: Subscription): readonly OrderFeedChange[] {
  assert.equal(s.start.kind, "replay");
  return (s.start as { changes: readonly OrderFeedChange[] }).changes;
}

function ids(changes: readonly { id: string }[]) {
  return changes.map((c) => c.id);
}

async function waitFor(predicate: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const NEXT: Partial<Record<OrderStatus, OrderStatus>> = {
  pending: "queued",
  queued: "preparing",
  preparing: "ready",
  ready: "delivered",
  delivered: "closed",
};

hubTest(
  "[hub] start: the snapshot is exactly the open orders at the cursor, under writes",
  async (t) => {
    const live: Order[] = [];
    for (let i = 0; i < 30; i++) live.push(await t.place());
    let writing = true;
    const writer = (async () => {
      let i = 0;
      while (writing) {
        const order = live[i++ % live.length];
        const current = await t.read(order.id);
        const next = i % 7 === 0 && current.status === "pending"
          ? "cancelled"
          : NEXT[current.status];
        if (next) await t.move(order.id, next);
        else live[(i - 1) % live.length] = await t.place();
        if (i % 3 === 0) await Promise.all([t.place(), t.place()]);
      }
    })();
    for (let round = 0; round < 15; round++) {
      const hubs = new Hubs(t.kv);
      const hub = await hubs.get(t.locationId);
      const subscription = await hub.subscribe();
      assert.equal(subscription.start.kind, "snapshot");
      const start = subscription.start as { orders: readonly Order[]; cursor: string };
      assert.deepEqual(start.orders, await openAt(t.kv, t.locationId, start.cursor));
      // Live changes continue exactly after the snapshot's cursor.
      await hub.sync();
      const taken = subscription.take();
      const expected: string[] = [];
      for await (
        const change of listChangesAfter(t.kv, t.locationId, parseFeedEventId(start.cursor))
      ) if (change.type === "order") expected.push(change.id);
      assert.deepEqual(ids(taken), expected.slice(0, taken.length));
      hubs.close();
    }
    writing = false;
    await writer;
  },
);

hubTest("[hub] fans out every change once, in commit order, to every subscriber", async (t) => {
  const hub = await t.services.hubs.get(t.locationId);
  assert.equal(await t.services.hubs.get(t.locationId), hub, "one hub per location");
  const subscriptions = await Promise.all(Array.from({ length: 5 }, () => hub.subscribe()));
  const placed = await Promise.all(Array.from({ length: 200 }, () => t.place()));
  await hub.sync();
  const expected: string[] = [];
  for await (const change of listChangesAfter(t.kv, t.locationId, null)) {
    if (change.type === "order") expected.push(change.id);
  }
  assert.equal(expected.length, 200);
  for (const s of subscriptions) assert.deepEqual(ids(s.take()), expected);
  assert.equal(hub.openOrders().length, placed.length);
  // The open orders are the orders as placed, every field.
  const asPlaced = placed.map(({ orderToken: _, ...order }) => order as Order)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  assert.deepEqual(hub.openOrders(), asPlaced);
});

hubTest("[hub] resume: from memory, from the store, and too old → snapshot", async (t, step) => {
  const hubs = new Hubs(t.kv, { windowSize: 4 });
  const hub = await hubs.get(t.locationId);
  const first = await t.place();
  for (let i = 0; i < 9; i++) await t.place();
  await t.move(first.id, "queued");
  await hub.sync();
  const all: OrderFeedChange[] = [];
  for await (const change of listChangesAfter(t.kv, t.locationId, null)) {
    if (change.type === "order") all.push(change);
  }
  assert.equal(all.length, 11);

  await step.step("recent: from memory", async () => {
    const s = await hub.subscribe({ after: all[8].id });
    assert.equal(s.start.kind, "replay");
    assert.deepEqual(ids(replayed(s)), ids(all.slice(9)));
    s.close();
  });
  await step.step("older: from the store, then live without a gap", async () => {
    const s = await hub.subscribe({ after: all[1].id });
    const later = await t.place();
    await hub.sync();
    assert.deepEqual(ids(replayed(s)), ids(all.slice(2)));
    assert.deepEqual(s.take().map((c) => (c as OrderFeedChange).order.id), [later.id]);
    s.close();
  });
  await step.step("its entry expired: a snapshot", async () => {
    await t.kv.delete(eventKey(t.locationId, all[0].versionstamp));
    const s = await hub.subscribe({ after: all[0].id });
    assert.equal(s.start.kind, "snapshot");
    s.close();
  });
  await step.step("filtered to one order", async () => {
    const s = await hub.subscribe({ after: all[1].id, orderId: first.id });
    assert.deepEqual(replayed(s).map((c) => c.order.status), [
      "queued",
    ]);
    s.close();
  });
  hubs.close();
});

hubTest("[hub] a subscriber that stops taking is dropped at maxQueued; others go on", async (t) => {
  const hubs = new Hubs(t.kv, { maxQueued: 50 });
  const hub = await hubs.get(t.locationId);
  const slow = await hub.subscribe();
  const fast = await hub.subscribe();
  const seen: string[] = [];
  for (let round = 0; round < 10; round++) {
    await Promise.all(Array.from({ length: 10 }, () => t.place()));
    await hub.sync();
    seen.push(...ids(fast.take()));
  }
  assert.equal(seen.length, 100);
  assert.equal(slow.ended, "overflow");
  assert.equal(slow.queued, 0, "its backlog is freed");
  assert.equal(fast.ended, null);
  assert.equal(hub.subscriberCount, 1);
  hubs.close();
  assert.equal(fast.ended, "shutdown");
});

hubTest("[hub] wait() wakes on changes, on wake() and on the end", async (t) => {
  const hub = await t.services.hubs.get(t.locationId);
  const s: Subscription = await hub.subscribe();
  let woken = false;
  const poked = s.wait().then(() => woken = true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(woken, false, "nothing happened yet");
  s.wake();
  await poked;
  const woke = s.wait();
  await t.place();
  await woke;
  await waitFor(() => s.queued === 1);
  const ended = s.wait();
  t.services.hubs.close();
  await ended;
  assert.equal(s.ended, "shutdown");
});

hubTest(
  "[hub] started on an empty feed: real ids replay from memory, unknown ones get a snapshot",
  async (t) => {
    // The seed's catalog entry is the feed's only one: without it, the feed is empty.
    for await (const entry of t.kv.list({ prefix: eventsPrefix(t.locationId) })) {
      await t.kv.delete(entry.key);
    }
    const hub = await t.services.hubs.get(t.locationId);
    assert.equal(hub.cursor, null);
    const fresh = await hub.subscribe();
    assert.deepEqual(fresh.start, {
      kind: "snapshot",
      orders: [],
      cursor: null,
      settings: screenSettings(DEFAULT_SETTINGS),
    });
    await t.place();
    await t.place();
    await hub.sync();
    const [first, second] = fresh.take();
    assert.deepEqual(ids(replayed(await hub.subscribe({ after: first.id }))), [second.id]);
    const unknown = await hub.subscribe({ after: "00000000000000000001-0" });
    assert.equal(unknown.start.kind, "snapshot");
  },
);
