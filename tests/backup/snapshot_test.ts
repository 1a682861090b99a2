/**
 * Backups of a local store (lib/backup/snapshot.ts): a backup restored into a new store holds
 * every key, value and versionstamp of the original; a kitchen stream resumes on the restored
 * store; a backup taken while orders are placed and moved restores to one moment of the store;
 * restore refuses a store that holds data, and a damaged or foreign file.
 */
import assert from "node:assert/strict";
import {
  createBackup,
  isStoreEmpty,
  listBackups,
  pruneBackups,
  readManifest,
  restoreBackup,
} from "../../lib/backup/snapshot.ts";
import { feedEventId, listChangesAfter, newestPosition } from "../../lib/feed/feed.ts";
import { orderByStatusKey, ordersPrefix } from "../../lib/kv/keys.ts";
import { decodeJson } from "../../lib/kv/codec.ts";
import { ORDER_STATUSES } from "../../lib/orders/lifecycle.ts";
import type { Order } from "../../lib/schemas.ts";
import { newTestServices, patchOrder, placeOrder, randomOrderBody } from "../fixtures.ts";
import { RawSse, startStreamServer } from "../routes/stream_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function allEntries(path: string): Promise<Deno.KvEntry<unknown>[]> {
  const kv = await Deno.openKv(path);
  try {
    return await Array.fromAsync(kv.list({ prefix: [] }, { batchSize: 1000 }));
  } finally {
    kv.close();
  }
}

async function inParallel(count: number, limit: number, task: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < count) await task(next++);
  }));
}

Deno.test("[backup] snapshot backup and restore", opts, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-backup-" });
  const source = `${dir}/source.kv`;
  const restored = `${dir}/restored/seatserve.kv`;
  let lastId = "";
  let backupFile = "";

  await t.step(
    "a store of 5,000 orders restores with every key, value and versionstamp",
    async () => {
      const s = await newTestServices({ SEATSERVE_KV_PATH: source });
      try {
        const body = await randomOrderBody(s);
        await inParallel(5000, 100, async (i) => {
          const res = await s.app.request("/api/orders", {
            method: "POST",
            headers: { "content-type": "application/json", "idempotency-key": `k-${i}` },
            body: JSON.stringify(body),
          });
          assert.equal(res.status, 201);
          const order = await res.json();
          if (i % 5 === 0) assert.equal((await patchOrder(s, order.id, "queued")).status, 200);
        });
        lastId = feedEventId((await newestPosition(s.kv, s.location.id))!);
      } finally {
        s.close();
      }
      const result = await createBackup(source, { dir: `${dir}/backups` });
      backupFile = result.path;
      assert.match(result.path, /\/seatserve-backup-v1-\d{8}T\d{9}Z\.sqlite\.gz$/);
      assert.deepEqual(await readManifest(result.path), result.manifest);
      assert.ok(result.fileBytes < result.manifest.bytes, "compressed");
      assert.equal(isStoreEmpty(restored), true);
      await restoreBackup(result.path, restored);
      const before = await allEntries(source);
      const after = await allEntries(restored);
      assert.equal(after.length, result.manifest.entries);
      assert.equal(before.filter((e) => e.key[0] === "order").length, 5000);
      assert.deepEqual(after, before);
    },
  );

  await t.step("restore refuses a store with data, unless forced; and foreign files", async () => {
    await assert.rejects(() => restoreBackup(backupFile, restored), /holds a store already/);
    await assert.rejects(() => restoreBackup(backupFile, source), /holds a store already/);
    const foreign = `${dir}/foreign.gz`;
    await Deno.writeFile(foreign, new TextEncoder().encode("not gzip"));
    await assert.rejects(() => restoreBackup(foreign, `${dir}/other.kv`));
    assert.equal(isStoreEmpty(`${dir}/other.kv`), true);
    // A damaged copy (one byte changed after the manifest) is refused before anything moves.
    const bytes = await Deno.readFile(backupFile);
    const { gunzipSync, gzipSync } = await import("node:zlib");
    const plain = gunzipSync(bytes);
    plain[plain.length - 100] ^= 0xff;
    const damaged = `${dir}/damaged.gz`;
    await Deno.writeFile(damaged, gzipSync(plain));
    await assert.rejects(() => restoreBackup(damaged, `${dir}/other.kv`), /damaged/);
    assert.equal(isStoreEmpty(`${dir}/other.kv`), true);
    await restoreBackup(backupFile, `${dir}/other.kv`);
    await restoreBackup(backupFile, `${dir}/other.kv`, { force: true });
    assert.equal((await allEntries(`${dir}/other.kv`)).length, (await allEntries(source)).length);
  });

  await t.step(
    "after restore a kitchen stream resumes from its Last-Event-ID, or snapshots",
    async () => {
      const server = await startStreamServer({}, { SEATSERVE_KV_PATH: restored });
      try {
        const url = `${server.base}/api/kitchen/stream`;
        const headers = { authorization: `Bearer ${server.kitchenToken}` };
        const resumed = await RawSse.open(url, { ...headers, "last-event-id": lastId });
        const fresh = await RawSse.open(url, headers);
        await fresh.until(() => fresh.events.length >= 1);
        assert.equal(fresh.events[0].event, "snapshot");
        const open = JSON.parse(fresh.events[0].data).orders as Order[];
        // Every order is still pending or queued: all 5,000 are open.
        assert.equal(open.length, 5000);
        const placed = await server.place();
        await resumed.until(() => resumed.orders().length >= 1);
        await fresh.until(() => fresh.orders().length >= 1);
        // Nothing from before the backup is replayed; the new order arrives on both.
        assert.deepEqual(resumed.events.map((e) => e.event), ["order"]);
        assert.equal(resumed.orders()[0].id, placed.id);
        assert.equal(fresh.orders()[0].id, placed.id);
        assert.ok(resumed.events[0].id! > lastId, "new ids follow the restored ones");
        await resumed.close();
        await fresh.close();
      } finally {
        await server.close();
      }
    },
  );

  await t.step("scheduled backups keep the newest N", async () => {
    const backups = `${dir}/kept`;
    for (let i = 0; i < 4; i++) {
      await createBackup(source, { dir: backups, now: new Date(Date.UTC(2026, 0, 1, 0, i)) });
    }
    const all = await listBackups(backups);
    assert.equal(all.length, 4);
    const removed = await pruneBackups(backups, 2);
    assert.deepEqual(removed, all.slice(0, 2));
    assert.deepEqual(await listBackups(backups), all.slice(2));
  });

  await Deno.remove(dir, { recursive: true });
});

Deno.test(
  "[backup] a backup taken while orders are placed and moved is one moment of the store",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "seatserve-backup-live-" });
    const source = `${dir}/live.kv`;
    const s = await newTestServices({ SEATSERVE_KV_PATH: source });
    const acknowledged: string[] = [];
    try {
      // Some history first, so that the copy takes a while.
      for (let i = 0; i < 300; i++) acknowledged.push((await placeOrder(s)).id);
      let done = false;
      const backup = createBackup(source, { dir }).finally(() => done = true);
      let moved = 0;
      while (!done || acknowledged.length < 600) {
        acknowledged.push((await placeOrder(s)).id);
        const earlier = acknowledged[moved++];
        assert.equal((await patchOrder(s, earlier, "queued")).status, 200);
      }
      const { path } = await backup;
      const target = `${dir}/restored.kv`;
      await restoreBackup(path, target);
      const kv = await Deno.openKv(target);
      try {
        const orders =
          (await Array.fromAsync(kv.list<Uint8Array>({ prefix: ordersPrefix(s.location.id) })))
            .map((e) => decodeJson<Order>(e.value));
        const ids = orders.map((o) => o.id);
        // A prefix of the acknowledged orders (ids are time-ordered, placements sequential).
        assert.ok(ids.length >= 300, `${ids.length} orders`);
        assert.deepEqual(ids, acknowledged.slice(0, ids.length));
        assert.ok(ids.length < acknowledged.length, "the copy did not wait for the writes to end");
        for (const order of orders) {
          // Complete: its history matches its status and version, its status index is there
          // and no other, and its latest change is in the feed.
          assert.equal(order.history.length, order.version);
          assert.equal(order.history.at(-1)!.status, order.status);
          for (const status of ORDER_STATUSES) {
            const entry = await kv.get(orderByStatusKey(s.location.id, status, order.id));
            assert.equal(entry.versionstamp !== null, status === order.status, order.id);
          }
        }
        const latest = new Map<string, Order>();
        for await (const change of listChangesAfter(kv, s.location.id, null)) {
          if (change.type === "order") latest.set(change.order.id, change.order);
        }
        assert.deepEqual(orders.map((o) => latest.get(o.id)), orders);
        assert.equal(latest.size, orders.length);
      } finally {
        kv.close();
      }
    } finally {
      s.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
