/**
 * The mirror follows the kitchen and floor changes of the feed into Postgres: service requests
 * (created, acknowledged), closed table visits with their orders' `visit_id`, and settings; a
 * replay from cursor 0 changes none of it.
 */
import assert from "node:assert/strict";
import type { MirrorRunner } from "../../lib/mirror/runner.ts";
import { resetMirrorCursor } from "../../lib/mirror/sink.ts";
import {
  call,
  deviceToken,
  expect,
  OWNER_TOKEN,
  patchOrder,
  placeOrder,
  readTables,
} from "../fixtures.ts";
import { startPostgres } from "./postgres_fixture.ts";
import { assertMirrorEqualsStore, mirroredServices, waitCaughtUp } from "./mirror_fixture.ts";

Deno.test("[mirror] service requests, visits and settings reach Postgres", async () => {
  const pg = await startPostgres();
  try {
    const m = await mirroredServices(pg);
    try {
      const { s } = m;
      const server = await deviceToken(s, "server");
      const table = (await readTables(s))[3];
      const request = expect(
        await call(s, "POST", "/api/service-requests", {
          body: { tableToken: table.token, kind: "call_server", note: "a high chair" },
        }),
        201,
      );
      const acked = expect(
        await call(s, "POST", `/api/service-requests/${request.id}/ack`, { token: server.token }),
        200,
      );
      const orders = [
        await placeOrder(s, { tableToken: table.token }),
        await placeOrder(s, { tableToken: table.token }),
      ];
      for (const to of ["queued", "preparing", "ready", "delivered"]) {
        assert.equal((await patchOrder(s, orders[0].id, to)).status, 200);
      }
      assert.equal((await patchOrder(s, orders[1].id, "cancelled")).status, 200);
      const visit = expect(
        await call(s, "POST", `/api/tables/${table.id}/visit/close`, { token: server.token }),
        200,
      );
      // An order of the closed visit moved on afterwards keeps its visit.
      assert.equal((await patchOrder(s, orders[0].id, "closed")).status, 200);
      const settings = expect(
        await call(s, "PATCH", "/api/settings", {
          token: OWNER_TOKEN,
          body: { autoAccept: true, maxOpenOrders: 12 },
        }),
        200,
      );
      await waitCaughtUp(s.kv, m.db.sql, s.location.id);

      const check = async () => {
        const [req] = await m.db.sql`
          SELECT id, table_id, table_number, kind, note, status, created_at, acked_at, acked_by,
                 version FROM service_requests WHERE location_id = ${s.location.id}`;
        assert.deepEqual({
          ...req,
          created_at: req.created_at.toISOString(),
          acked_at: req.acked_at.toISOString(),
        }, {
          id: request.id,
          table_id: table.id,
          table_number: table.number,
          kind: "call_server",
          note: "a high chair",
          status: "acknowledged",
          created_at: request.createdAt,
          acked_at: acked.acknowledgedAt,
          acked_by: server.by,
          version: 2,
        });
        const [row] = await m.db.sql`
          SELECT id, table_id, table_number, status, opened_at, closed_at, total_cents, currency,
                 order_ids, closed_by FROM table_visits WHERE location_id = ${s.location.id}`;
        assert.deepEqual({
          ...row,
          opened_at: row.opened_at.toISOString(),
          closed_at: row.closed_at.toISOString(),
          total_cents: Number(row.total_cents),
        }, {
          id: visit.id,
          table_id: table.id,
          table_number: table.number,
          status: "closed",
          opened_at: visit.openedAt,
          closed_at: visit.closedAt,
          total_cents: orders[0].totalCents,
          currency: visit.currency,
          order_ids: [orders[0].id, orders[1].id],
          closed_by: server.by,
        });
        const visitIds = await m.db.sql`
          SELECT id, visit_id FROM orders WHERE id = ANY(${orders.map((o) => o.id)}) ORDER BY id`;
        assert.deepEqual(visitIds.map((r) => r.visit_id), [visit.id, visit.id]);
        const [stored] = await m.db.sql`
          SELECT settings FROM location_settings WHERE location_id = ${s.location.id}`;
        assert.deepEqual(stored.settings, settings);
        // The visit-time view counts it.
        const [times] = await m.db.sql`
          SELECT orders::int, total_cents::int FROM visit_times WHERE visit_id = ${visit.id}`;
        assert.ok(times, "visit_times has the visit");
      };
      await check();
      await assertMirrorEqualsStore(s.kv, m.db.sql, s.location.id);

      // Replayed from the start: the same rows.
      await resetMirrorCursor(m.db.sql, s.location.id);
      await (s.services.mirror as MirrorRunner).sync(s.location.id);
      await check();
    } finally {
      await m.close();
    }
  } finally {
    await pg.close();
  }
});
