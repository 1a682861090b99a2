/**
 * The audit log reaches the Postgres mirror's `audit_entries` through the change feed (each entry
 * rides the feed entry of its own commit), once, and a repair from the store adds nothing twice.
 */
import assert from "node:assert/strict";
import type { MirrorRunner } from "../../lib/mirror/runner.ts";
import { resetMirrorCursor } from "../../lib/mirror/sink.ts";
import { call, deviceToken, expect, type Json, OWNER_TOKEN, placeOrder } from "../fixtures.ts";
import { startPostgres } from "./postgres_fixture.ts";
import { mirroredServices, waitCaughtUp } from "./mirror_fixture.ts";

Deno.test("[mirror] audit entries reach audit_entries", async (t) => {
  const pg = await startPostgres();
  try {
    const m = await mirroredServices(pg);
    try {
      const { s } = m;
      const server = await deviceToken(s, "server", { label: "floor" });
      expect(
        await call(s, "PUT", "/api/staff/ann@example.com", {
          token: OWNER_TOKEN,
          body: { role: "manager" },
        }),
        200,
      );
      const order = await placeOrder(s);
      expect(
        await call(s, "PATCH", `/api/orders/${order.id}`, {
          token: server.token,
          body: { status: "queued" },
          headers: { "x-request-id": "req-move" },
        }),
        200,
      );
      const tables = expect(await call(s, "GET", "/api/tables", { token: server.token }), 200);
      expect(
        await call(s, "PATCH", `/api/tables/${tables.tables[0].id}`, {
          token: server.token,
          body: { seats: 7 },
        }),
        200,
      );
      expect(await call(s, "DELETE", `/api/auth/tokens/${server.id}`, { token: OWNER_TOKEN }), 204);

      const logged: Json[] = expect(
        await call(s, "GET", "/api/audit?limit=200", { token: OWNER_TOKEN }),
        200,
      ).entries;
      assert.deepEqual(logged.map((e) => e.action), [
        "device_token.revoke",
        "table.update",
        "order.transition",
        "staff.add",
        "device_token.issue",
      ]);
      const rows = async () =>
        await m.db.sql`SELECT id, location_id, at, actor_type, actor_id, actor_role, actor_label,
                              actor_email, action, target_type, target_id, before, after,
                              request_id
                       FROM audit_entries ORDER BY id DESC`;
      const expected = logged.map((e) => ({
        id: e.id,
        location_id: s.location.id,
        at: new Date(e.at),
        actor_type: e.actor.type,
        actor_id: e.actor.id,
        actor_role: e.actor.role ?? null,
        actor_label: e.actor.label ?? null,
        actor_email: e.actor.email ?? null,
        action: e.action,
        target_type: e.target.type,
        target_id: e.target.id,
        before: e.before ?? null,
        after: e.after ?? null,
        request_id: e.requestId,
      }));

      await t.step("the worker writes each entry once, as the log holds it", async () => {
        await waitCaughtUp(s.kv, m.db.sql, s.location.id);
        assert.deepEqual([...await rows()], expected);
        const move = (await rows()).find((r) => r.action === "order.transition")!;
        assert.equal(move.request_id, "req-move");
        assert.deepEqual(move.after, { status: "queued", version: 2 });
      });

      await t.step("a repair from the store and a replay add nothing twice", async () => {
        await resetMirrorCursor(m.db.sql, s.location.id);
        await (s.services.mirror as MirrorRunner).sync(s.location.id);
        assert.deepEqual([...await rows()], expected);
      });

      await t.step("a repair into an empty table restores the log from the store", async () => {
        await m.db.sql`DELETE FROM audit_entries`;
        await resetMirrorCursor(m.db.sql, s.location.id);
        await (s.services.mirror as MirrorRunner).sync(s.location.id);
        assert.deepEqual([...await rows()], expected);
      });
    } finally {
      await m.close();
    }
  } finally {
    await pg.close();
  }
});
