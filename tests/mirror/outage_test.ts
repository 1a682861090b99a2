/**
 * The mirror when things go wrong, against a real Postgres: Postgres stopped during a burst, the
 * worker killed in the middle of a batch, the worker in a Deno Worker, and `mirror:rebuild`.
 */
import assert from "node:assert/strict";
import { comparePositions, type FeedChange, listChangesAfter } from "../../lib/feed/feed.ts";
import { migrate } from "../../lib/mirror/migrate.ts";
import { MirrorRunner } from "../../lib/mirror/runner.ts";
import { readMirrorCursor } from "../../lib/mirror/sink.ts";
import type { Order } from "../../lib/schemas.ts";
import { closeServices } from "../../lib/services.ts";
import { newTestServices, placeOrder, type TestServices } from "../fixtures.ts";
import { startPostgres } from "./postgres_fixture.ts";
import {
  assertMirrorEqualsStore,
  burst,
  expectedRows,
  mirroredRows,
  mirroredServices,
  waitCaughtUp,
} from "./mirror_fixture.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function health(s: { app: TestServices["app"] }) {
  const res = await s.app.request("/api/health");
  return { status: res.status, body: await res.json() };
}

async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Seeded services on a store file (so another process or a Worker can open it too). */
async function fileServices(path: string, env: Record<string, string> = {}): Promise<TestServices> {
  return await newTestServices({ SEATSERVE_KV_PATH: path, ...env });
}

/** Each order as of its last change at or before `upTo` in the feed. */
async function ordersUpTo(
  kv: Deno.Kv,
  locationId: string,
  upTo: FeedChange | { versionstamp: string; index: number },
) {
  const orders = new Map<string, Order>();
  for await (const change of listChangesAfter(kv, locationId, null)) {
    if (comparePositions(change, upTo) > 0) break;
    if (change.type === "order") orders.set(change.order.id, change.order);
  }
  return [...orders.values()];
}

Deno.test("[mirror] outages, kills and rebuilds", async (t) => {
  const pg = await startPostgres({ ownServer: true }); // stopped and started by the test
  const dir = await Deno.makeTempDir({ prefix: "seatserve-mirror-test-" });
  try {
    await t.step(
      "Postgres stopped mid-burst: every order is taken, then the mirror catches up",
      async () => {
        const m = await mirroredServices(pg);
        try {
          await until("health to report ok", async () => {
            const h = await health(m.s);
            return h.body.mirror.state === "ok" ? true : null;
          });
          let stopped: Promise<void> | null = null;
          let downSeen: unknown = null;
          const running = burst(m.s, 1500, {
            concurrency: 32,
            onPlaced: (placed) => {
              if (placed === 300) stopped = pg.stop();
            },
          });
          await until("the burst to reach Postgres' stop", () => Promise.resolve(stopped));
          await stopped;
          // While Postgres is away, health still answers 200 and says the mirror is down.
          downSeen = await until("health to report the mirror down", async () => {
            const h = await health(m.s);
            assert.equal(h.status, 200);
            return h.body.mirror.state === "down" ? h.body.mirror : null;
          });
          await running; // every placement and move succeeded (burst asserts each)
          const during = await health(m.s);
          assert.equal(during.body.mirror.state, "down");
          assert.ok(during.body.mirror.lagEvents > 0, JSON.stringify(during.body.mirror));
          await pg.start();
          await waitCaughtUp(m.s.kv, m.db.sql, m.s.location.id, 60_000);
          const counts = await assertMirrorEqualsStore(m.s.kv, m.db.sql, m.s.location.id);
          assert.equal(counts.orders, 1500);
          const after = await until("health to report ok", async () => {
            const h = await health(m.s);
            return h.body.mirror.state === "ok" && h.body.mirror.lagEvents === 0
              ? h.body.mirror
              : null;
          });
          assert.deepEqual(after, { state: "ok", lagEvents: 0, lagSeconds: 0 });
          assert.ok(downSeen);
        } finally {
          await pg.start().catch(() => {});
          await m.close();
        }
      },
    );

    const path = `${dir}/store.kv`;
    const db = await pg.database();
    await t.step(
      "the worker killed mid-batch leaves whole batches; a restart converges",
      async () => {
        const s = await fileServices(path);
        try {
          await burst(s, 1500, { concurrency: 32 });
        } finally {
          await closeServices(s.services);
          s.kv.close();
        }
        // A cursor that has applied nothing but is fresh: no repair, the feed from its start.
        await migrate(db.sql);
        const kv = await Deno.openKv(path);
        try {
          const location = (await import("../../lib/catalog/locations.ts").then((m) =>
            m.firstLocation(kv)
          ))!;
          await db.sql`INSERT INTO mirror_cursors (location_id, advanced_at, generation)
                     VALUES (${location.id}, now(), 1)`;
          const child = new Deno.Command(Deno.execPath(), {
            args: ["run", "-A", "--unstable-kv", `${ROOT}tasks/mirror.ts`],
            cwd: ROOT,
            env: { DATABASE_URL: db.url, SEATSERVE_KV_PATH: path, SEATSERVE_MIRROR_BATCH: "100" },
            stdout: "null",
            stderr: "null",
          }).spawn();
          await until("the worker to be inside a batch", async () => {
            const [row] = await db.sql`
            SELECT (SELECT generation FROM mirror_cursors WHERE location_id = ${location.id}) AS g,
                   (SELECT count(*) FROM pg_stat_activity
                    WHERE application_name = 'seatserve-mirror' AND xact_start IS NOT NULL
                      AND datname = current_database()) AS busy`;
            return Number(row.g) >= 4 && Number(row.busy) > 0 ? true : null;
          }, 60_000);
          child.kill("SIGKILL");
          await child.status;
          const cursor = await readMirrorCursor(db.sql, location.id);
          assert.ok(cursor.position, "some batches were applied");
          const head = await (await import("../../lib/feed/feed.ts")).newestPosition(
            kv,
            location.id,
          );
          assert.ok(comparePositions(cursor.position!, head!) < 0, "killed before the end");
          // Exactly the changes up to the cursor are in Postgres: no half batch.
          const expected = expectedRows(await ordersUpTo(kv, location.id, cursor.position!));
          const actual = await mirroredRows(db.sql, location.id);
          assert.deepEqual(actual.orders, expected.orders.map((o) => ({ ...o })));
          assert.deepEqual(actual.lines, expected.lines);
          assert.deepEqual(actual.history, expected.history);
          // Restarted, it goes on from the cursor to exact equality.
          const runner = new MirrorRunner(kv, { databaseUrl: db.url, retentionMs: 7 * 86_400_000 });
          try {
            await runner.sync(location.id);
          } finally {
            await runner.close();
          }
          await assertMirrorEqualsStore(kv, db.sql, location.id);
        } finally {
          kv.close();
        }
      },
    );

    await t.step(
      "mirror:rebuild replays the store into an empty database, with a progress bar",
      async () => {
        const empty = await pg.database();
        try {
          const run = async (...args: string[]) =>
            await new Deno.Command(Deno.execPath(), {
              args: ["run", "-A", "--unstable-kv", `${ROOT}tasks/mirror_rebuild.ts`, ...args],
              cwd: ROOT,
              env: { DATABASE_URL: empty.url, SEATSERVE_KV_PATH: path },
              stdout: "piped",
              stderr: "piped",
            }).output();
          const out = await run();
          const stderr = new TextDecoder().decode(out.stderr);
          assert.equal(out.code, 0, stderr);
          assert.match(stderr, /orders .*100% \| 1500\/1500/, stderr);
          assert.match(
            new TextDecoder().decode(out.stdout),
            /rebuilt 1 location\(s\), 1500 orders/,
          );
          const kv = await Deno.openKv(path);
          try {
            const location = (await import("../../lib/catalog/locations.ts").then((m) =>
              m.firstLocation(kv)
            ))!;
            await assertMirrorEqualsStore(kv, empty.sql, location.id);
            await waitCaughtUp(kv, empty.sql, location.id, 1_000); // the cursor is at the head
            // Into a database that holds orders: refused, nothing changes.
            const again = await run();
            assert.equal(again.code, 1);
            assert.match(new TextDecoder().decode(again.stderr), /already holds 1500 orders/);
            await assertMirrorEqualsStore(kv, empty.sql, location.id);
          } finally {
            kv.close();
          }
        } finally {
          await empty.drop();
        }
      },
    );

    await t.step("in a Deno Worker, off the request thread", async () => {
      const threaded = await pg.database();
      const s = await fileServices(`${dir}/thread.kv`, {
        DATABASE_URL: threaded.url,
        SEATSERVE_MIRROR_WORKER: "thread",
      });
      try {
        assert.equal(
          s.services.mirror !== null && !(s.services.mirror instanceof MirrorRunner),
          true,
        );
        for (let i = 0; i < 100; i++) await placeOrder(s);
        await waitCaughtUp(s.kv, threaded.sql, s.location.id);
        const counts = await assertMirrorEqualsStore(s.kv, threaded.sql, s.location.id);
        assert.equal(counts.orders, 100);
        const ok = await until("health ok", async () => {
          const h = await health(s);
          return h.body.mirror.state === "ok" && h.body.mirror.lagEvents === 0
            ? h.body.mirror
            : null;
        });
        assert.deepEqual(ok, { state: "ok", lagEvents: 0, lagSeconds: 0 });
      } finally {
        await closeServices(s.services);
        s.kv.close();
        await threaded.drop();
      }
    });
    await db.drop();
  } finally {
    await pg.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
