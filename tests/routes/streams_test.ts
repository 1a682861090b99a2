/** End-to-end tests of the kitchen and guest streams, against a real server on a free port. */
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import type { Order } from "../../lib/schemas.ts";
import { Hubs } from "../../lib/feed/hub.ts";
import {
  idsOf,
  postOrder,
  readMenu,
  readOrder,
  readOrders,
  readTables,
  startMain,
  withoutEstimate,
} from "../fixtures.ts";
import { OWNER_TOKEN, RawSse, stalledClient, streamTest } from "./stream_fixture.ts";
import { DEFAULT_SETTINGS, screenSettings } from "../../lib/kitchen/settings.ts";

/** An `EventSource` (npm `eventsource`) collecting events by type. */
function openEventSource(url: string) {
  const source = new EventSource(url);
  const snapshots: Order[][] = [];
  const orders: { id: string; order: Order }[] = [];
  const errors: number[] = [];
  source.addEventListener(
    "snapshot",
    (e) => snapshots.push(JSON.parse(e.data).orders.map(withoutEstimate)),
  );
  source.addEventListener(
    "order",
    (e) => orders.push({ id: e.lastEventId, order: withoutEstimate(JSON.parse(e.data)) }),
  );
  source.addEventListener("error", () => errors.push(source.readyState));
  return { source, snapshots, orders, errors };
}

async function eventually(predicate: () => boolean, timeoutMs = 20_000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function inParallel<T>(count: number, limit: number, task: (i: number) => Promise<T>) {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  }));
  return results;
}

/** An order as stored, without the token only its creation's answer carries. */
/** An order as a guest's stream shows it: who moved it by role, never by credential id. */
function asGuestSees(order: Order): Order {
  return { ...order, history: order.history.map((h) => ({ ...h, by: h.by.split(":")[0] })) };
}

function stored(order: Order & { orderToken?: string }): Order {
  const { orderToken: _, ...rest } = order;
  return rest;
}

streamTest(
  "[streams] kitchen: 200 streams each get all 1,000 concurrent orders once, in one order",
  async (server) => {
    const url = server.kitchenUrl();
    const real = Array.from({ length: 20 }, () => openEventSource(url));
    const raw = await Promise.all(Array.from({ length: 180 }, () => RawSse.open(url)));
    await eventually(() => real.every((s) => s.snapshots.length === 1), 20_000, "snapshots");
    for (const stream of raw) {
      await stream.untilEvents(1);
      assert.equal(stream.events[0].event, "snapshot");
      assert.deepEqual(JSON.parse(stream.events[0].data), {
        orders: [],
        settings: screenSettings(DEFAULT_SETTINGS),
      });
    }

    const placed = await inParallel(1000, 200, () => server.place());
    const placedIds = new Set(placed.map((o) => o.id));
    assert.equal(placedIds.size, 1000);

    for (const stream of raw) await stream.until(() => stream.events.length >= 1001, 60_000);
    await eventually(
      () => real.every((s) => s.orders.length >= 1000),
      60_000,
      "EventSource orders",
    );
    await new Promise((r) => setTimeout(r, 200)); // nothing more may come

    const reference = raw[0].events.slice(1).map((e) => `${e.id} ${JSON.parse(e.data).id}`);
    assert.equal(reference.length, 1000);
    assert.equal(new Set(reference.map((r) => r.split(" ")[1])).size, 1000);
    assert.deepEqual(new Set(reference.map((r) => r.split(" ")[1])), placedIds);
    const ids = reference.map((r) => r.split(" ")[0]);
    const position = (id: string) => {
      const [versionstamp, index] = id.split("-");
      return `${versionstamp}-${index.padStart(4, "0")}`;
    };
    assert.deepEqual(
      [...ids].sort((a, b) => position(a) < position(b) ? -1 : 1),
      ids,
      "in order",
    );
    for (const stream of raw) {
      assert.equal(stream.events.length, 1001);
      assert.ok(stream.events.slice(1).every((e) => e.event === "order"));
      assert.deepEqual(
        stream.events.slice(1).map((e) => `${e.id} ${JSON.parse(e.data).id}`),
        reference,
      );
    }
    for (const stream of real) {
      assert.deepEqual(stream.orders.map((e) => `${e.id} ${e.order.id}`), reference);
    }
    // Each streamed order is the order as created, every field.
    const created = new Map(placed.map((o) => [o.id, stored(o)]));
    for (const order of raw[0].orders()) assert.deepEqual(order, created.get(order.id));
    for (const s of real) s.source.close();
    await Promise.all(raw.map((s) => s.close()));
  },
);

for (
  const [label, hub] of [["from memory", {}], ["from the store", { windowSize: 3 }]] as const
) {
  streamTest(
    `[streams] kitchen: Last-Event-ID replays exactly the missed changes (${label})`,
    async (server) => {
      const url = `${server.base}/api/kitchen/stream`;
      const auth = { authorization: `Bearer ${server.kitchenToken}` };
      const early = await Promise.all([server.place(), server.place()]);
      const witness = await server.kitchen();
      const client = await server.kitchen();
      await client.untilEvents(1);
      assert.equal(client.events[0].event, "snapshot");
      const snapshot = JSON.parse(client.events[0].data).orders.map(withoutEstimate) as Order[];
      assert.deepEqual(snapshot.map((o) => o.id), early.map((o) => o.id).sort());
      assert.deepEqual(snapshot, await Promise.all(snapshot.map((o) => readOrder(server, o.id))));

      const seen = [await server.place(), await server.move(early[0].id, "queued")];
      await client.untilEvents(3);
      assert.deepEqual(client.orders(), [stored(seen[0]), seen[1]]);
      const lastId = client.events[2].id!;
      await client.close();

      // While it is away: creations, transitions, a cancellation, concurrent orders.
      const missed: string[] = [];
      const a = await server.place();
      await server.move(a.id, "queued");
      await server.move(early[0].id, "preparing");
      await server.move(early[1].id, "cancelled");
      await Promise.all(Array.from({ length: 10 }, () => server.place()));
      await server.move(a.id, "preparing");
      const total = 2 + 4 + 10 + 1;
      await witness.untilEvents(1 + total);
      // A change is the same whatever the stream; its estimate is derived when it is sent.
      const change = (e: { id?: string; data: string }) => {
        const { estimatedReadyAt: _, ...order } = JSON.parse(e.data);
        return `${e.id} ${JSON.stringify(order)}`;
      };
      for (const e of witness.events.slice(3)) missed.push(change(e));

      for (
        const resume of [
          { url, headers: { ...auth, "last-event-id": lastId } },
          {
            url: `${url}?lastEventId=${lastId}&access_token=${server.kitchenToken}`,
            headers: {},
          },
        ]
      ) {
        const back = await RawSse.open(resume.url, resume.headers);
        await back.untilEvents(missed.length);
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(back.events.map(change), missed);
        assert.ok(back.events.every((e) => e.event === "order"));
        // Still live afterwards.
        const after = await server.place();
        await back.untilEvents(missed.length + 1);
        assert.equal(JSON.parse(back.events.at(-1)!.data).id, after.id);
        assert.deepEqual(back.orders().at(-1), stored(after));
        missed.push(change(back.events.at(-1)!));
        await back.close();
      }
      assert.ok(seen.length === 2);
      await witness.close();
    },
    { hub },
  );
}

streamTest(
  "[streams] kitchen: an unknown, too old or malformed Last-Event-ID gets a fresh snapshot",
  async (server) => {
    const order = await server.place();
    for (const id of ["00000000000000000001-0", "garbage", ""]) {
      const sse = await server.kitchen({
        authorization: `Bearer ${server.kitchenToken}`,
        "last-event-id": id,
      });
      await sse.untilEvents(1);
      assert.equal(sse.events[0].event, "snapshot");
      assert.deepEqual(JSON.parse(sse.events[0].data).orders.map((o: Order) => o.id), [order.id]);
      assert.deepEqual(JSON.parse(sse.events[0].data).orders.map(withoutEstimate), [stored(order)]);
      assert.ok(sse.events[0].id, "the snapshot carries the position it was taken at");
      await sse.close();
    }
  },
);

streamTest(
  "[streams] kitchen: the snapshot holds exactly the open orders, as they are",
  async (server) => {
    const [a, b, c] = [await server.place(), await server.place(), await server.place()];
    await server.move(a.id, "cancelled");
    for (const s of ["queued", "preparing", "ready", "delivered", "closed"]) {
      await server.move(
        b.id,
        s,
      );
    }
    const queued = await server.move(c.id, "queued");
    const es = openEventSource(server.kitchenUrl());
    await eventually(() => es.snapshots.length === 1);
    assert.deepEqual(es.snapshots[0].map((o) => o.id), [c.id]);
    assert.equal(es.snapshots[0][0].status, "queued");
    // Every field as the API reads it back; the cancelled and the closed one left out.
    assert.deepEqual(es.snapshots[0], [queued]);
    assert.deepEqual(idsOf(await readOrders(server)), [c.id, b.id, a.id]);
    es.source.close();
  },
);

streamTest(
  "[streams] kitchen: auth by bearer, cookie or access_token; roles; refusals",
  async (server) => {
    const url = `${server.base}/api/kitchen/stream`;
    const ok: { url: string; headers: Record<string, string> }[] = [
      { url, headers: { authorization: `Bearer ${server.kitchenToken}` } },
      { url, headers: { cookie: `seatserve_session=${await server.kitchenSession()}` } },
      { url: server.kitchenUrl(OWNER_TOKEN), headers: {} },
    ];
    for (const { url, headers } of ok) {
      const sse = await RawSse.open(url, headers);
      assert.equal(sse.status, 200);
      await sse.untilEvents(1);
      await sse.close();
    }
    for (const headers of [{}, { authorization: "Bearer nope" }] as Record<string, string>[]) {
      const response = await fetch(url, { headers });
      assert.equal(response.status, 401);
      await response.body?.cancel();
    }
  },
);

streamTest(
  "[streams] kitchen: a `: keep-alive` comment comes within 15 s on an idle stream",
  async (server) => {
    const sse = await RawSse.open(server.kitchenUrl());
    const started = Date.now();
    await sse.until(() => sse.comments.includes("keep-alive"), 15_000);
    assert.ok(Date.now() - started <= 15_000);
    await sse.close();
  },
);

streamTest(
  "[streams] a revoked or expired staff token ends its open streams; a guest's order token does not",
  async (server) => {
    const order = await server.place();
    const kitchen = await server.kitchen();
    const owner = await server.kitchen({ authorization: `Bearer ${OWNER_TOKEN}` });
    const staffFollow = await RawSse.open(
      `${server.base}/api/orders/${order.id}/events?access_token=${server.kitchenToken}`,
    );
    const guest = await server.follow(order);
    for (const sse of [kitchen, owner, staffFollow, guest]) await sse.untilEvents(1);
    const revoked = await fetch(`${server.base}/api/auth/tokens/${server.kitchenTokenId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${OWNER_TOKEN}` },
    });
    assert.equal(revoked.status, 204);
    const started = Date.now();
    await kitchen.finished(5_000);
    await staffFollow.finished(5_000);
    assert.ok(Date.now() - started < 3_000, "ended within a keep-alive or two");
    for (const sse of [kitchen, staffFollow]) {
      assert.ok(sse.ended);
      assert.ok(
        sse.comments.some((c) => c.includes("revoked or has expired")),
        sse.comments.join(),
      );
    }
    // Nothing reaches a revoked stream any more; the others go on.
    const queued = await server.move(order.id, "queued");
    await owner.until(() => owner.orders().some((o) => o.status === "queued"));
    await guest.until(() => guest.orders().some((o) => o.status === "queued"));
    assert.ok(!kitchen.orders().some((o) => o.status === "queued"));
    assert.ok(!guest.ended && !owner.ended);
    assert.deepEqual(guest.orders(), [stored(order), queued].map(asGuestSees));
    await owner.close();
    await guest.close();
  },
  { env: { SEATSERVE_STREAM_KEEPALIVE_SECONDS: "1" } },
);

streamTest(
  "[streams] guest: sees every transition and the stream ends after closed",
  async (server) => {
    const order = await server.place();
    const raw = await server.follow(order);
    const es = openEventSource(server.orderUrl(order));
    await raw.untilEvents(1);
    await eventually(() => es.orders.length === 1);
    const path = ["queued", "preparing", "ready", "delivered", "closed"];
    const moved: Order[] = [];
    for (const status of path) moved.push(await server.move(order.id, status));
    await raw.finished();
    const statuses = raw.orders().map((o) => o.status);
    assert.deepEqual(statuses, ["pending", ...path]);
    assert.deepEqual(raw.orders().map((o) => o.version), [1, 2, 3, 4, 5, 6]);
    assert.ok(raw.orders().every((o) => o.id === order.id));
    // Each event is the whole order as that move left it.
    assert.deepEqual(raw.orders(), [stored(order), ...moved].map(asGuestSees));
    // The EventSource sees the same, then reconnects with its Last-Event-ID and is told 204: stop.
    await eventually(() => es.orders.length === 6);
    assert.deepEqual(es.orders.map((e) => e.order.status), ["pending", ...path]);
    await eventually(() => es.source.readyState === EventSource.CLOSED, 10_000, "204 stops it");
    assert.equal(es.orders.length, 6);
    es.source.close();

    // Opened after the end: the final state, then the end.
    const late = await server.follow(order);
    await late.finished();
    assert.deepEqual(late.orders().map((o) => o.status), ["closed"]);
    assert.deepEqual(late.orders(), [asGuestSees(await readOrder(server, order.id))]);
    const again = await fetch(server.orderUrl(order), {
      headers: { "last-event-id": late.events[0].id! },
    });
    assert.equal(again.status, 204);
  },
);

streamTest(
  "[streams] guest: cancelled ends the stream; other orders' changes never show",
  async (server) => {
    const mine = await server.place();
    const other = await server.place();
    const raw = await server.follow(mine);
    await raw.untilEvents(1);
    await server.move(other.id, "queued");
    await server.place();
    await server.move(mine.id, "queued");
    await server.move(mine.id, "cancelled");
    await raw.finished();
    assert.deepEqual(raw.orders().map((o) => [o.id, o.status]), [
      [mine.id, "pending"],
      [mine.id, "queued"],
      [mine.id, "cancelled"],
    ]);
    assert.deepEqual(raw.orders().at(-1), asGuestSees(await readOrder(server, mine.id)));
  },
);

streamTest(
  "[streams] guest: resumes with Last-Event-ID; a fresh order followed at once misses nothing",
  async (server) => {
    const order = await server.place();
    const first = await server.follow(order);
    await server.move(order.id, "queued");
    await first.untilEvents(2);
    const lastId = first.events[1].id!;
    await first.close();
    const preparing = await server.move(order.id, "preparing");
    const ready = await server.move(order.id, "ready");
    const back = await RawSse.open(server.orderUrl(order), { "last-event-id": lastId });
    await back.untilEvents(2);
    assert.deepEqual(back.orders().map((o) => o.status), ["preparing", "ready"]);
    assert.deepEqual(back.orders(), [preparing, ready].map(asGuestSees));
    await back.close();

    // Follow orders the instant they are created: the first event is always their creation.
    const followers = await Promise.all(Array.from({ length: 20 }, async () => {
      const fresh = await server.place();
      const sse = await server.follow(fresh);
      await server.move(fresh.id, "queued");
      await sse.untilEvents(2);
      assert.deepEqual(sse.orders().map((o) => [o.id, o.status]), [[fresh.id, "pending"], [
        fresh.id,
        "queued",
      ]]);
      return sse;
    }));
    await Promise.all(followers.map((s) => s.close()));
  },
);

streamTest("[streams] guest: another order's token, or none, is refused", async (server) => {
  const mine = await server.place();
  const other = await server.place();
  for (const token of [other.orderToken, "", "nonsense", mine.orderToken.slice(0, -2) + "xx"]) {
    const response = await fetch(`${server.base}/api/orders/${mine.id}/events?token=${token}`);
    assert.equal(response.status, 401, `token ${token}`);
    await response.body?.cancel();
  }
  const none = await fetch(`${server.base}/api/orders/${mine.id}/events`);
  assert.equal(none.status, 401);
  await none.body?.cancel();
  const staff = await RawSse.open(`${server.base}/api/orders/${mine.id}/events`, {
    authorization: `Bearer ${server.kitchenToken}`,
  });
  assert.equal(staff.status, 200);
  await staff.untilEvents(1);
  assert.deepEqual(staff.orders(), [stored(mine)]);
  await staff.close();
});

streamTest(
  "[streams] a stalled client neither stops nor slows the others, and is dropped",
  async (server) => {
    let stalled: Deno.TcpConn | undefined;
    try {
      const url = server.kitchenUrl();
      // A client that sends its request and never reads a byte.
      const port = Number(new URL(server.base).port);
      stalled = await stalledClient(port, new URL(url).pathname + new URL(url).search);
      const hub = await server.services.hubs.get(server.locationId);
      await eventually(() => hub.subscriberCount === 1, 5_000, "stalled client subscribed");
      const others = await Promise.all(Array.from({ length: 5 }, () => RawSse.open(url)));
      for (const s of others) await s.untilEvents(1);
      assert.equal(hub.subscriberCount, 6);

      // Big orders (~25 KB each) so the stalled socket's buffers fill long before the end.
      const note = "x".repeat(200);
      const latencies: number[] = [];
      for (let round = 0; round < 40; round++) {
        const batch = await Promise.all(
          Array.from({ length: 10 }, () => server.place({ note: "y".repeat(500), lines: 100 })),
        );
        const t0 = Date.now();
        for (const s of others) await s.untilEvents(1 + (round + 1) * 10, 5_000);
        latencies.push(Date.now() - t0);
        assert.equal(batch.length, 10);
      }
      assert.ok(note.length === 200);
      latencies.sort((a, b) => a - b);
      assert.ok(latencies[latencies.length - 1] < 1_000, `others kept up: ${latencies}`);
      for (const s of others) {
        const ids = s.events.slice(1).map((e) => e.id);
        assert.equal(new Set(ids).size, 400);
      }
      // The stalled one was dropped; its backlog is gone from the hub.
      assert.equal(hub.subscriberCount, 5);
      await Promise.all(others.map((s) => s.close()));
    } finally {
      stalled?.close();
    }
  },
  { hub: { maxQueued: 100 } },
);

streamTest(
  "[streams] closing the hubs ends open streams cleanly with a comment",
  async (server) => {
    const order = await server.place();
    const kitchen = await RawSse.open(server.kitchenUrl(OWNER_TOKEN));
    const guest = await server.follow(order);
    await kitchen.untilEvents(1);
    await guest.untilEvents(1);
    server.services.hubs.close();
    await kitchen.finished(5_000);
    await guest.finished(5_000);
    assert.ok(kitchen.comments.some((c) => c.startsWith("server shutting down")));
  },
);

Deno.test(
  "[streams] main.ts: SIGTERM ends open streams and the process exits, stalled client or not",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const main = await startMain({
      SEATSERVE_KV_PATH: ":memory:",
      SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN,
      SEATSERVE_RATE_LIMIT: "off",
    });
    const { base } = main;
    let stalled: Deno.TcpConn | undefined;
    try {
      const path = `/api/kitchen/stream?access_token=${OWNER_TOKEN}`;
      const url = `${base}${path}`;
      stalled = await stalledClient(main.port, path);
      const sse = await RawSse.open(url);
      const es = openEventSource(url);
      await sse.untilEvents(1);
      await eventually(() => es.snapshots.length === 1);
      // Fill the stalled socket's buffers with big orders.
      const tables = await readTables(main);
      const menu = await readMenu(main, "demo");
      const item = menu.items.find((i: { available: boolean }) => i.available);
      const body = {
        tableToken: tables[0].token,
        items: Array.from(
          { length: 100 },
          () => ({ menuItemId: item.id, quantity: 1, note: "z".repeat(200) }),
        ),
      };
      // One checked through the fixture (read back and compared), the rest as fast as they go.
      await postOrder(main, body);
      await inParallel(149, 10, async () => {
        const response = await fetch(`${base}/api/orders`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        assert.equal(response.status, 201);
        await response.body?.cancel();
      });
      await sse.untilEvents(151);
      // Every order is stored as sent: table 1, a hundred lines of that item.
      const orders = await readOrders(main);
      assert.equal(orders.length, 150);
      assert.ok(orders.every((o) => o.tableNumber === 1 && o.items.length === 100));
      assert.ok(orders.every((o) => o.totalCents === 100 * item.priceCents));
      const stopping = main.stop();
      await sse.finished(10_000);
      assert.ok(sse.comments.some((c) => c.startsWith("server shutting down")));
      const { code, ms } = await stopping;
      assert.equal(code, 0);
      assert.ok(ms < 10_000, `exited in ${ms} ms`);
      es.source.close();
    } finally {
      stalled?.close();
      await main.stop().catch(() => {});
    }
  },
);

streamTest(
  "[streams] EventSource: after a dropped stream it resumes by itself, nothing missed or doubled",
  async (server) => {
    const es = openEventSource(server.kitchenUrl());
    await eventually(() => es.snapshots.length === 1);
    const placed = [];
    for (let i = 0; i < 5; i++) placed.push(await server.place());
    await eventually(() => es.orders.length === 5);
    // The server drops every stream (a restart of the hubs); orders keep coming meanwhile.
    server.services.hubs.close();
    const hubs = new Hubs(server.services.kv);
    server.services.hubs = hubs;
    for (let i = 0; i < 5; i++) placed.push(await server.place());
    await server.move(placed[0].id, "queued");
    await eventually(() => es.orders.length === 11, 10_000, "resumed");
    placed.push(await server.place());
    await eventually(() => es.orders.length === 12);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(es.snapshots.length, 1, "a resume, not a fresh snapshot");
    assert.deepEqual(
      es.orders.map((e) => e.order.id),
      [...placed.slice(0, 10).map((o) => o.id), placed[0].id, placed[10].id],
    );
    assert.equal(es.orders[10].order.status, "queued");
    assert.equal(new Set(es.orders.map((e) => e.id)).size, 12);
    es.source.close();
  },
);
