/**
 * Export and import (lib/backup/ndjson.ts): every value survives exactly whatever its encoding;
 * expiries are re-applied from the values' `expiresAt`; the feed is re-appended in order with new
 * versionstamps; and after the import the kitchen stream and a feed consumer start a new epoch
 * correctly. The target store has the remote store's limits forced on, as Deploy or denokv would.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  decodeKeyPart,
  decodeValue,
  encodeKeyPart,
  encodeValue,
  exportToFile,
  importStore,
  readExportLines,
  storeIsEmpty,
} from "../../lib/backup/ndjson.ts";
import { createSession } from "../../lib/auth/sessions.ts";
import { FeedConsumer, type FeedSink, type SinkCursor } from "../../lib/feed/consumer.ts";
import {
  decodeFeedEntry,
  feedEventId,
  type FeedPosition,
  listChangesAfter,
  newestPosition,
  readFeedEpoch,
} from "../../lib/feed/feed.ts";
import { decodeJson } from "../../lib/kv/codec.ts";
import { EXPIRING_KEY_KINDS, FEED_HEAD_KEY_KIND, FEED_KEY_KIND } from "../../lib/kv/keys.ts";
import { loadConfig } from "../../lib/config.ts";
import { wrapStore } from "../../lib/kv/store.ts";
import type { Order } from "../../lib/schemas.ts";
import { deviceToken, newTestServices, patchOrder, placeOrder, randomKey } from "../fixtures.ts";
import { RawSse, startStreamServer } from "../routes/stream_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const DAY_MS = 24 * 60 * 60 * 1000;

Deno.test("[ndjson] values and keys survive exactly", () => {
  const values: unknown[] = [
    new TextEncoder().encode('{"a":1}'),
    new Uint8Array(0),
    new Deno.KvU64(18446744073709551615n),
    new Date("2026-12-01T20:00:00.123Z"),
    123456789012345678901234567890n,
    { nested: { at: new Date(0), big: -5n, bytes: new Uint8Array([1, 2, 3]) }, list: [1, "x"] },
    new Map<unknown, unknown>([["k", new Set([1, 2])]]),
    "text é ✓",
    -0,
    Number.NaN,
    null,
    false,
    [undefined, Infinity],
  ];
  for (const value of values) {
    const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(value))));
    assert.deepEqual(back, value);
    if (value !== null && typeof value === "object") {
      assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(value));
    }
  }
  const key: Deno.KvKey = ["s", 1.5, -0, 7n, true, new Uint8Array([0, 255]), ""];
  const back = JSON.parse(JSON.stringify(key.map(encodeKeyPart))).map(decodeKeyPart);
  assert.deepEqual(back, key);
  assert.ok(Object.is(back[2], -0));
});

/** A mirror-like sink in the store: per order, the highest version seen; its cursor beside. */
function versionSink(kv: Deno.Kv) {
  const repairs: number[] = [];
  const cursorKey = (locationId: string) => ["test_mirror", locationId, "cursor"];
  const rowKey = (locationId: string, id: string) => ["test_mirror", locationId, "row", id];
  const sink: FeedSink = {
    name: "test mirror",
    async readCursor(locationId): Promise<SinkCursor> {
      const entry = await kv.get<{ position: FeedPosition | null; at: number }>(
        cursorKey(locationId),
      );
      return { position: entry.value?.position ?? null, at: entry.value?.at ?? null, check: entry };
    },
    async apply(locationId, batch) {
      const op = kv.atomic().check(batch.read.check as Deno.KvEntryMaybe<unknown>);
      const highest = new Map<string, number>();
      for (const change of batch.changes) {
        if (change.type !== "order") continue;
        highest.set(
          change.order.id,
          Math.max(highest.get(change.order.id) ?? 0, change.order.version),
        );
      }
      // Versions only go up, as the mirror's upserts compare `version`.
      const rows = await Promise.all(
        [...highest.keys()].map((id) => kv.get<number>(rowKey(locationId, id))),
      );
      for (const row of rows) {
        const id = row.key.at(-1) as string;
        if ((row.value ?? 0) < highest.get(id)!) op.set(row.key, highest.get(id)!);
      }
      op.set(cursorKey(locationId), { position: batch.next, at: batch.now });
      return (await op.commit()).ok;
    },
    repair(_locationId, sinceMs) {
      repairs.push(sinceMs);
      return Promise.resolve();
    },
  };
  return { sink, repairs, cursorKey, rowKey };
}

Deno.test("[ndjson] export, then import into another store: a new epoch", opts, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-export-" });
  const file = `${dir}/export.ndjson.gz`;
  const target = `${dir}/imported.kv`;
  const s = await newTestServices();
  const orders: Order[] = [];
  let oldLastId = "";
  let sessionId = "";
  const mirror = versionSink(s.kv);
  try {
    // Orders with keys and moves, a device token, a session, a sink cursor, odd value kinds.
    for (let i = 0; i < 40; i++) orders.push(await placeOrder(s, { idempotencyKey: randomKey() }));
    for (const order of orders.slice(0, 10)) await patchOrder(s, order.id, "queued");
    await deviceToken(s, "kitchen", { ttlSeconds: 3600 });
    const principal = await s.services.auth.authenticate((await deviceToken(s, "manager")).token);
    sessionId = (await createSession(s.kv, {
      principal: principal!,
      locationId: s.location.id,
      lifetime: { ttlMs: 3_600_000, idleMs: 600_000 },
    })).id;
    await s.kv.set(["test_odd", "u64"], new Deno.KvU64(42n));
    await s.kv.set(["test_odd", "date"], new Date("2020-01-01T00:00:00Z"));
    await s.kv.set(["test_odd", 7n, true], { big: 9007199254740993n });
    // An idempotency record already past its time (as if the store had not swept it yet).
    await s.kv.set(
      ["idempotency", s.location.id, "gone", "table"],
      new TextEncoder().encode(JSON.stringify({ orderId: "x", requestHash: "y", expiresAt: 1 })),
    );
    const consumer = new FeedConsumer(s.kv, mirror.sink, { retentionMs: DAY_MS });
    await consumer.sync(s.location.id);
    consumer.close();
    oldLastId = feedEventId((await newestPosition(s.kv, s.location.id))!);
    assert.equal(await exportToFile(s.kv, file) > 0, true);
  } finally {
    s.close();
  }

  await t.step(
    "every entry but the feed is equal; the feed is the same entries in order",
    async () => {
      const config = loadConfig({ SEATSERVE_KV_PATH: target, SEATSERVE_KV_LIMITS: "remote" });
      const kv = wrapStore(await Deno.openKv(target), config);
      try {
        assert.equal(await storeIsEmpty(kv), true);
        const result = await importStore(kv, readExportLines(file), { retentionMs: DAY_MS });
        assert.equal(result.expired, 1);
        assert.equal(await storeIsEmpty(kv), false);
        const lines = await Array.fromAsync(readExportLines(file));
        const exported = lines.slice(1).map((line) => JSON.parse(line)).map(({ k, v }) => ({
          key: k.map(decodeKeyPart) as Deno.KvKey,
          value: decodeValue(v),
        }));
        const imported = await Array.fromAsync(kv.list({ prefix: [] }));
        const plain = (entries: { key: Deno.KvKey; value: unknown }[]) =>
          entries.filter((e) =>
            e.key[0] !== FEED_KEY_KIND && e.key[0] !== FEED_HEAD_KEY_KIND &&
            e.key[0] !== "feed_epoch" && e.key[2] !== "gone"
          ).map((e) => ({ key: e.key, value: e.value }));
        assert.deepEqual(plain(imported), plain(exported));
        assert.equal(result.entries, plain(exported).length);
        const feed = (entries: { key: Deno.KvKey; value: unknown }[]) =>
          entries.filter((e) => e.key[0] === FEED_KEY_KIND).map((e) => e.value);
        assert.deepEqual(feed(imported), feed(exported));
        assert.equal(result.feedEntries, feed(exported).length);
        // New versionstamps, which may repeat old ones (both stores count from the start): the
        // store gets a new feed epoch, so old ids and cursors name no place in it.
        assert.match(await readFeedEpoch(kv), /^[0-9a-f]{12}$/);
      } finally {
        kv.close();
      }
    },
  );

  await t.step("every expiring entry expires when its value says, nothing else expires", () => {
    const db = new DatabaseSync(target, { readOnly: true });
    try {
      const rows = db.prepare("SELECT k, v, v_encoding, expiration_ms FROM kv").all() as {
        k: Uint8Array;
        expiration_ms: number;
      }[];
      let expiring = 0;
      for (const row of rows) {
        // The first key part is a string: tag 0x02, then its bytes up to 0x00.
        const end = row.k.indexOf(0, 1);
        const kind = new TextDecoder().decode(row.k.subarray(1, end));
        if (!EXPIRING_KEY_KINDS.includes(kind)) {
          assert.equal(Number(row.expiration_ms), -1, kind);
          continue;
        }
        expiring++;
        assert.ok(Number(row.expiration_ms) > Date.now(), `${kind} expires later`);
      }
      assert.ok(expiring > 40, `${expiring} expiring entries`);
    } finally {
      db.close();
    }
  });

  await t.step("each expiry equals the value's expiresAt", async () => {
    const db = new DatabaseSync(target, { readOnly: true });
    const kv = await Deno.openKv(target);
    try {
      const expiries = new Map<string, number>();
      for (
        const row of db.prepare("SELECT k, expiration_ms FROM kv WHERE expiration_ms >= 0").all()
      ) {
        const r = row as { k: Uint8Array; expiration_ms: number };
        expiries.set(Array.from(r.k).join(","), Number(r.expiration_ms));
      }
      let compared = 0;
      for await (const entry of kv.list({ prefix: [] })) {
        const kind = entry.key[0] as string;
        if (!EXPIRING_KEY_KINDS.includes(kind)) continue;
        const value = entry.value instanceof Uint8Array
          ? decodeJson<{ expiresAt: number | string }>(entry.value)
          : entry.value as { expiresAt: number | string };
        const expiresAt = typeof value.expiresAt === "string"
          ? Date.parse(value.expiresAt)
          : value.expiresAt;
        // The import turns expiresAt into an `expireIn` just before its commit: they differ by
        // that commit's latency, which on a loaded machine reaches hundreds of milliseconds
        // (a wrong expiry would be off by hours or days).
        const stored = [...expiries.values()].find((ms) => Math.abs(ms - expiresAt) <= 2000);
        assert.ok(stored !== undefined, `${kind}: ${expiresAt} is an entry's expiry`);
        compared++;
      }
      assert.ok(compared > 40);
      // The feed entries carry expiresAt as written.
      for await (const entry of kv.list<Uint8Array>({ prefix: [FEED_KEY_KIND] })) {
        const decoded = decodeFeedEntry(entry.value);
        assert.equal(decoded.expiresAt, Date.parse(decoded.at) + 7 * DAY_MS);
      }
    } finally {
      kv.close();
      db.close();
    }
  });

  await t.step(
    "the kitchen stream: an old Last-Event-ID gets a snapshot, then new orders",
    async () => {
      const server = await startStreamServer({}, { SEATSERVE_KV_PATH: target });
      try {
        const url = `${server.base}/api/kitchen/stream`;
        const headers = { authorization: `Bearer ${server.kitchenToken}` };
        const old = await RawSse.open(url, { ...headers, "last-event-id": oldLastId });
        await old.until(() => old.events.length >= 1);
        assert.equal(old.events[0].event, "snapshot");
        const open = JSON.parse(old.events[0].data).orders as Order[];
        assert.deepEqual(open.map((o) => o.id), orders.map((o) => o.id));
        const placed = await server.place();
        await old.until(() => old.orders().length >= 1);
        assert.equal(old.orders()[0].id, placed.id);
        // Staff credentials and sessions moved too.
        assert.ok(await server.services.auth.authenticateSession(sessionId));
        await old.close();
      } finally {
        await server.close();
      }
    },
  );

  await t.step(
    "a feed consumer starts a new epoch: repairs, then applies the new feed",
    async () => {
      const kv = await Deno.openKv(target);
      try {
        const locationId = orders[0].locationId;
        // The sink's cursor (in the store) moved with it, naming an entry of the old feed.
        const fresh = versionSink(kv);
        const before = await fresh.sink.readCursor(locationId);
        assert.equal(feedEventId(before.position!), oldLastId);
        const consumer = new FeedConsumer(kv, fresh.sink, { retentionMs: DAY_MS });
        await consumer.sync(locationId);
        consumer.close();
        assert.equal(fresh.repairs.length, 1, "one repair for the new epoch");
        assert.ok(fresh.repairs[0] > 0 && fresh.repairs[0] < Date.now(), "since the cursor's time");
        const after = await fresh.sink.readCursor(locationId);
        const newest = await newestPosition(kv, locationId);
        assert.deepEqual(
          after.position,
          { ...newest, epoch: await readFeedEpoch(kv) },
          "the cursor is in the new feed, in its epoch",
        );
        // Every order's row is at its latest version, none moved backwards.
        const latest = new Map<string, number>();
        for await (const change of listChangesAfter(kv, locationId, null)) {
          if (change.type === "order") latest.set(change.order.id, change.order.version);
        }
        for (const [id, version] of latest) {
          assert.equal((await kv.get<number>(fresh.rowKey(locationId, id))).value, version);
        }
        // A second catch-up repairs nothing more.
        const again = new FeedConsumer(kv, fresh.sink, { retentionMs: DAY_MS });
        await again.sync(locationId);
        again.close();
        assert.equal(fresh.repairs.length, 1);
      } finally {
        kv.close();
      }
    },
  );

  await Deno.remove(dir, { recursive: true });
});
