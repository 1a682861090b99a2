/** Feed consumers (lib/feed/consumer.ts), driven with a sink of the test's own in the store. */
import assert from "node:assert/strict";
import {
  FeedConsumer,
  type FeedConsumer as Consumer,
  type FeedSink,
  type SinkCursor,
} from "../../lib/feed/consumer.ts";
import { type FeedChange, type FeedPosition, listChangesAfter } from "../../lib/feed/feed.ts";
import { eventsPrefix } from "../../lib/kv/keys.ts";
import { newTestServices, patchOrder, placeOrder, type TestServices } from "../fixtures.ts";

interface TestCursor {
  position: FeedPosition | null;
  at: number;
}

/**
 * A sink that records, per location, every change id it applied (in the same commit as its
 * cursor) and every repair it was asked for.
 */
function recordingSink(kv: Deno.Kv, name: string) {
  const repairs: number[] = [];
  const cursorKey = (locationId: string) => ["test_sink", name, locationId, "cursor"];
  const appliedKey = (locationId: string, id: string) => ["test_sink", name, locationId, id];
  const sink: FeedSink = {
    name,
    async readCursor(locationId): Promise<SinkCursor> {
      const entry = await kv.get<TestCursor>(cursorKey(locationId));
      return { position: entry.value?.position ?? null, at: entry.value?.at ?? null, check: entry };
    },
    async apply(locationId, batch) {
      const op = kv.atomic().check(batch.read.check as Deno.KvEntryMaybe<TestCursor>);
      for (const change of batch.changes) op.sum(appliedKey(locationId, change.id), 1n);
      op.set(cursorKey(locationId), { position: batch.next, at: batch.now });
      return (await op.commit()).ok;
    },
    repair(_locationId, sinceMs) {
      repairs.push(sinceMs);
      return Promise.resolve();
    },
  };
  return {
    sink,
    repairs,
    cursorKey,
    /** Change id → how many times it was applied. */
    async applied(locationId: string): Promise<Map<string, number>> {
      const counts = new Map<string, number>();
      for await (
        const entry of kv.list<Deno.KvU64>({ prefix: ["test_sink", name, locationId] })
      ) {
        const id = entry.key.at(-1) as string;
        if (id !== "cursor") counts.set(id, Number(entry.value.value));
      }
      return counts;
    },
  };
}

async function feedIds(t: TestServices): Promise<string[]> {
  const ids: string[] = [];
  for await (const change of listChangesAfter(t.kv, t.location.id, null)) ids.push(change.id);
  return ids;
}

function onceEach(ids: string[]): Map<string, number> {
  return new Map(ids.map((id) => [id, 1]));
}

const DAY_MS = 24 * 60 * 60 * 1000;

Deno.test("[feed_consumer] FeedConsumer", async (t) => {
  await t.step("catches up on every change once and keeps its cursor", async () => {
    const s = await newTestServices();
    const rec = recordingSink(s.kv, "a");
    const consumer = new FeedConsumer(s.kv, rec.sink, { retentionMs: DAY_MS, batchChanges: 7 });
    try {
      const orders = await Promise.all(Array.from({ length: 25 }, () => placeOrder(s)));
      for (const order of orders.slice(0, 6)) await patchOrder(s, order.id, "queued");
      await consumer.sync(s.location.id);
      const ids = await feedIds(s);
      assert.ok(ids.length >= 1 + 25 + 6, `${ids.length} changes`);
      assert.deepEqual(await rec.applied(s.location.id), onceEach(ids));
      const cursor = (await s.kv.get<TestCursor>(rec.cursorKey(s.location.id))).value!;
      const last = ids.at(-1)!;
      assert.equal(`${cursor.position!.versionstamp}-${cursor.position!.index}`, last);
      assert.deepEqual(rec.repairs, [0], "a sink that never ran repairs from the start once");
      // Nothing new: a sync writes nothing and applies nothing twice.
      await consumer.sync(s.location.id);
      assert.deepEqual(await rec.applied(s.location.id), onceEach(ids));
      assert.deepEqual(rec.repairs, [0]);
    } finally {
      consumer.close();
      s.close();
    }
  });

  await t.step("batches end between feed entries", async () => {
    const s = await newTestServices();
    const seen: FeedChange[][] = [];
    const rec = recordingSink(s.kv, "b");
    const sink: FeedSink = {
      ...rec.sink,
      apply(locationId, batch) {
        seen.push(batch.changes);
        return rec.sink.apply(locationId, batch);
      },
    };
    const consumer = new FeedConsumer(s.kv, sink, { retentionMs: DAY_MS, batchChanges: 3 });
    try {
      // Concurrent orders share entries (group commit), so entries hold several changes.
      await Promise.all(Array.from({ length: 30 }, () => placeOrder(s)));
      await consumer.sync(s.location.id);
      const sizes = new Map<string, number>();
      for await (const change of listChangesAfter(s.kv, s.location.id, null)) {
        sizes.set(change.versionstamp, change.index + 1);
      }
      for (const batch of seen) {
        const last = batch.at(-1)!;
        assert.equal(last.index + 1, sizes.get(last.versionstamp), "a batch ends an entry");
      }
      assert.ok(seen.length > 1, "more than one batch");
    } finally {
      consumer.close();
      s.close();
    }
  });

  await t.step("two consumers racing on one sink apply each change exactly once", async () => {
    const s = await newTestServices();
    const rec = recordingSink(s.kv, "c");
    const one = new FeedConsumer(s.kv, rec.sink, { retentionMs: DAY_MS, batchChanges: 5 });
    const two = new FeedConsumer(s.kv, rec.sink, { retentionMs: DAY_MS, batchChanges: 5 });
    try {
      await Promise.all(Array.from({ length: 40 }, () => placeOrder(s)));
      await Promise.all([
        one.sync(s.location.id),
        two.sync(s.location.id),
        one.sync(s.location.id),
      ]);
      assert.deepEqual(await rec.applied(s.location.id), onceEach(await feedIds(s)));
    } finally {
      one.close();
      two.close();
      s.close();
    }
  });

  await t.step("after downtime a new consumer goes on from the cursor", async () => {
    const s = await newTestServices();
    const rec = recordingSink(s.kv, "d");
    let consumer: Consumer = new FeedConsumer(s.kv, rec.sink, { retentionMs: DAY_MS });
    try {
      await Promise.all(Array.from({ length: 5 }, () => placeOrder(s)));
      await consumer.sync(s.location.id);
      consumer.close();
      await Promise.all(Array.from({ length: 8 }, () => placeOrder(s)));
      consumer = new FeedConsumer(s.kv, rec.sink, { retentionMs: DAY_MS });
      await consumer.sync(s.location.id);
      assert.deepEqual(await rec.applied(s.location.id), onceEach(await feedIds(s)));
    } finally {
      consumer.close();
      s.close();
    }
  });

  await t.step("a cursor older than the retention asks for a repair, then goes on", async () => {
    const s = await newTestServices();
    const rec = recordingSink(s.kv, "e");
    const consumer = new FeedConsumer(s.kv, rec.sink, { retentionMs: DAY_MS });
    try {
      await placeOrder(s);
      await consumer.sync(s.location.id);
      rec.repairs.length = 0;
      // As after a day with no process running: the cursor is a day old and the feed entries
      // after it have expired unread.
      const key = rec.cursorKey(s.location.id);
      const cursor = (await s.kv.get<TestCursor>(key)).value!;
      const dayAgo = Date.now() - DAY_MS;
      await s.kv.set(key, { ...cursor, at: dayAgo });
      for await (const entry of s.kv.list({ prefix: eventsPrefix(s.location.id) })) {
        await s.kv.delete(entry.key);
      }
      const late = await placeOrder(s);
      await consumer.sync(s.location.id);
      assert.equal(rec.repairs.length, 1);
      assert.equal(rec.repairs[0], dayAgo - 60 * 60 * 1000, "repairs from the cursor's time on");
      const applied = await rec.applied(s.location.id);
      const [lateId] = await feedIds(s);
      assert.equal(applied.get(lateId), 1, "the change after the repair is applied");
      const after = (await s.kv.get<TestCursor>(key)).value!;
      assert.ok(Date.now() - after.at < 60_000, "the cursor's time moved on");
      assert.ok(late.id);
    } finally {
      consumer.close();
      s.close();
    }
  });

  await t.step("follow() catches up after commits by itself", async () => {
    const s = await newTestServices();
    const rec = recordingSink(s.kv, "f");
    const consumer = new FeedConsumer(s.kv, rec.sink, { retentionMs: DAY_MS, delayMs: 10 });
    try {
      consumer.follow(s.location.id);
      await Promise.all(Array.from({ length: 6 }, () => placeOrder(s)));
      const expected = onceEach(await feedIds(s));
      const deadline = Date.now() + 5_000;
      let applied = await rec.applied(s.location.id);
      while (applied.size < expected.size && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        applied = await rec.applied(s.location.id);
      }
      assert.deepEqual(applied, expected);
    } finally {
      consumer.close();
      s.close();
    }
  });
});
