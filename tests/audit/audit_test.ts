/**
 * The audit log end to end: one entry per staff mutation of a service's flow (menu, tables and
 * rotation, order moves, device tokens, staff directory, locations), each with its actor, target,
 * before/after and request id, none for refused requests or a guest's order, security events
 * under their own actions, refused credentials summarised per address and minute, paging and
 * filters, and the entries' expiry.
 */
import assert from "node:assert/strict";
import { auditPrefix } from "../../lib/kv/keys.ts";
import type { AuditEntry } from "../../lib/audit/entry.ts";
import {
  call,
  deviceToken,
  expect,
  type Json,
  menuItems,
  newTestServices,
  OWNER_TOKEN,
  placeOrder,
} from "../fixtures.ts";
import { sessionAs, startProvider } from "../auth/oidc_fixture.ts";

const MUTATION = /^(menu_item|table|order|device_token|staff|location)\./;

Deno.test("[audit] the log of a service's flow", async (t) => {
  const provider = await startProvider();
  const s = await newTestServices(provider.env);
  try {
    const manager = "mia@example.com";
    const expected: { action: string; actor: string; target: string }[] = [];
    const did = (action: string, actor: string, target: string) =>
      expected.push({ action, actor, target });

    const put = await call(s, "PUT", `/api/staff/${manager}`, {
      token: OWNER_TOKEN,
      body: { role: "manager", name: "Mia" },
      headers: { "x-request-id": "req-staff-1" },
    });
    expect(put, 200);
    did("staff.add", "bootstrap", manager);
    const session = await sessionAs(s, manager);
    const asManager = { cookie: session.cookie, "x-csrf-token": session.csrf };
    const kitchen = await deviceToken(s, "kitchen", { label: "pass" });
    did("device_token.issue", "bootstrap", kitchen.id);
    const server = await deviceToken(s, "server", { label: "floor" });
    did("device_token.issue", "bootstrap", server.id);

    await t.step("mutations write one entry each, with their actor", async () => {
      const created = expect(
        await call(s, "POST", "/api/menu/items", {
          headers: asManager,
          body: { name: "Audit soup", priceCents: 650, category: "Starters" },
        }),
        201,
      );
      did("menu_item.create", manager, created.id);
      const [item] = await menuItems(s, true);
      expect(
        await call(s, "PATCH", `/api/menu/items/${item.id}`, {
          token: kitchen.token,
          body: { available: false },
        }),
        200,
      );
      did("menu_item.update", kitchen.id, item.id);
      const table = expect(
        await call(s, "POST", "/api/tables", {
          token: server.token,
          body: { number: 77, seats: 4 },
        }),
        201,
      );
      did("table.create", server.id, table.id);
      expect(
        await call(s, "PATCH", `/api/tables/${table.id}`, {
          headers: asManager,
          body: { rotateToken: true },
        }),
        200,
      );
      did("table.rotate_token", manager, table.id);
      // The rotation endpoint of issue 8 is the same write, audited the same way.
      const rotated = expect(
        await call(s, "POST", `/api/tables/${table.id}/rotate-token`, { token: server.token }),
        200,
      );
      did("table.rotate_token", server.id, table.id);

      const order = await placeOrder(s);
      for (
        const [status, token, actor] of [
          ["queued", server.token, server.id],
          ["preparing", kitchen.token, kitchen.id],
          ["ready", kitchen.token, kitchen.id],
        ]
      ) {
        expect(await call(s, "PATCH", `/api/orders/${order.id}`, { token, body: { status } }), 200);
        did("order.transition", actor, order.id);
      }
      const issued = expect(
        await call(s, "POST", "/api/auth/tokens", {
          headers: asManager,
          body: { role: "kitchen" },
        }),
        201,
      );
      did("device_token.issue", manager, issued.id);
      expect(await call(s, "DELETE", `/api/auth/tokens/${issued.id}`, { headers: asManager }), 204);
      did("device_token.revoke", manager, issued.id);
      expect(
        await call(s, "PUT", "/api/staff/sol@example.com", {
          headers: asManager,
          body: { role: "server" },
        }),
        200,
      );
      did("staff.add", manager, "sol@example.com");
      expect(
        await call(s, "PUT", "/api/staff/sol@example.com", {
          headers: asManager,
          body: { role: "kitchen" },
        }),
        200,
      );
      did("staff.update", manager, "sol@example.com");
      expect(await call(s, "DELETE", "/api/staff/sol@example.com", { headers: asManager }), 204);
      did("staff.remove", manager, "sol@example.com");
      expect(await call(s, "DELETE", `/api/tables/${table.id}`, { token: server.token }), 204);
      did("table.delete", server.id, table.id);
      expect(await call(s, "DELETE", `/api/menu/items/${created.id}`, { headers: asManager }), 204);
      did("menu_item.delete", manager, created.id);
      const location = expect(
        await call(s, "POST", "/api/locations", {
          token: OWNER_TOKEN,
          body: { slug: "audited", name: "Audited", currency: "EUR" },
        }),
        201,
      );

      // Refused: none of these writes an entry.
      expect(
        await call(s, "POST", "/api/tables", {
          token: kitchen.token,
          body: { number: 78, seats: 2 },
        }),
        403,
      );
      expect(
        await call(s, "POST", "/api/tables", {
          token: server.token,
          body: { number: 1, seats: 2 },
        }),
        409,
      );
      expect(
        await call(s, "PATCH", `/api/orders/${order.id}`, {
          token: kitchen.token,
          body: { status: "closed" },
        }),
        409,
      );
      expect(
        await call(s, "PATCH", `/api/menu/items/${item.id}`, {
          headers: { cookie: session.cookie },
          body: { available: true },
        }),
        403,
        "csrf_failed",
      );

      const entries: Json[] = expect(
        await call(s, "GET", "/api/audit?limit=200", { token: OWNER_TOKEN }),
        200,
      ).entries;
      const mutations = entries.filter((e) => MUTATION.test(e.action));
      assert.deepEqual(
        mutations.map((e) => ({ action: e.action, actor: e.actor.id, target: e.target.id })),
        expected.toReversed(),
      );
      const created2 = expect(
        await call(s, "GET", "/api/audit?limit=5&scope=location&location=audited", {
          token: OWNER_TOKEN,
        }),
        200,
      ).entries;
      assert.deepEqual(created2.map((e: Json) => [e.action, e.target.id]), [
        ["location.create", location.id],
      ]);

      const staffAdd = mutations.at(-1);
      assert.deepEqual(staffAdd, {
        id: staffAdd.id,
        at: staffAdd.at,
        actor: { type: "bootstrap", id: "bootstrap", role: "owner", label: "bootstrap" },
        action: "staff.add",
        target: { type: "staff", id: manager },
        after: { role: "manager", name: "Mia" },
        requestId: "req-staff-1",
      });
      const queued = mutations.find((e) =>
        e.action === "order.transition" && e.actor.id === server.id
      );
      assert.deepEqual(queued.before, { status: "pending", version: 1 });
      assert.deepEqual(queued.after, { status: "queued", version: 2 });
      assert.deepEqual(queued.actor, {
        type: "device",
        id: server.id,
        role: "server",
        label: "floor",
      });
      const byManager = mutations.find((e) => e.action === "menu_item.create");
      assert.deepEqual(byManager.actor, {
        type: "session",
        id: manager,
        role: "manager",
        label: "Mia",
        email: manager,
      });
      const rotation = mutations.find((e) => e.action === "table.rotate_token");
      assert.deepEqual(rotation.before, { number: 77, seats: 4, status: "available" });
      assert.ok(!JSON.stringify(rotation).includes(table.token), "no QR token in the log");
      assert.ok(!JSON.stringify(mutations).includes(rotated.token), "no QR token in the log");
      const issue = mutations.find((e) => e.target.id === kitchen.id);
      assert.ok(!JSON.stringify(issue).includes(kitchen.token), "no device token in the log");
      assert.equal(issue.after.label, "pass");
    });

    await t.step("paging and filters", async () => {
      const all: Json[] = expect(
        await call(s, "GET", "/api/audit?limit=200", { token: OWNER_TOKEN }),
        200,
      ).entries;
      const paged: Json[] = [];
      let cursor = "";
      for (let page = 0; page < 50; page++) {
        const reply = expect(
          await call(s, "GET", `/api/audit?limit=3&cursor=${cursor}`, { token: OWNER_TOKEN }),
          200,
        );
        assert.ok(reply.entries.length <= 3);
        paged.push(...reply.entries);
        cursor = reply.cursor;
        if (!cursor) break;
      }
      assert.deepEqual(paged, all);
      assert.deepEqual([...all].sort((x, y) => y.id < x.id ? -1 : 1), all, "newest first");
      const orders = expect(
        await call(s, "GET", "/api/audit?action=order", { token: OWNER_TOKEN }),
        200,
      ).entries;
      assert.deepEqual(orders.map((e: Json) => e.after.status), ["ready", "preparing", "queued"]);
      const byKitchen = expect(
        await call(s, "GET", `/api/audit?actor=${kitchen.id}`, { token: OWNER_TOKEN }),
        200,
      ).entries;
      assert.deepEqual(byKitchen.map((e: Json) => e.action), [
        "order.transition",
        "order.transition",
        "menu_item.update",
      ]);
      const byEmail = expect(
        await call(s, "GET", `/api/audit?actor=${manager}&action=staff.remove`, {
          token: OWNER_TOKEN,
        }),
        200,
      ).entries;
      assert.equal(byEmail.length, 1);
      expect(await call(s, "GET", "/api/audit?limit=0", { token: OWNER_TOKEN }), 400);
      expect(await call(s, "GET", "/api/audit", { token: kitchen.token }), 403);
      expect(await call(s, "GET", "/api/audit?scope=server", { headers: asManager }), 403);
    });

    await t.step("refused credentials: one entry per address and minute", async () => {
      for (let i = 0; i < 5; i++) {
        expect(await call(s, "GET", "/api/orders", { token: `forged-${i}` }), 401);
      }
      expect(
        await call(s, "GET", "/api/orders", { headers: { cookie: "seatserve_session=x" } }),
        401,
      );
      const server = expect(
        await call(s, "GET", "/api/audit?scope=server&action=auth.credential_refused", {
          token: OWNER_TOKEN,
        }),
        200,
      ).entries;
      assert.equal(server.length, 1, JSON.stringify(server));
      assert.equal(server[0].count, 6);
      assert.equal(server[0].address, "unknown");
      assert.equal(server[0].actor.type, "anonymous");
    });

    await t.step("security events of the location", async () => {
      const auth = expect(
        await call(s, "GET", "/api/audit?action=auth", { token: OWNER_TOKEN }),
        200,
      ).entries;
      assert.deepEqual(auth.map((e: Json) => e.action), ["auth.sign_in"]);
      assert.equal(auth[0].actor.email, manager);
    });

    await t.step("entries expire after the retention", async () => {
      let n = 0;
      for await (const entry of s.kv.list<AuditEntry>({ prefix: auditPrefix(s.location.id) })) {
        const ahead = entry.value.expiresAt - Date.parse(entry.value.at);
        assert.equal(ahead, 90 * 24 * 60 * 60 * 1000);
        n++;
      }
      assert.ok(n >= expected.length);
    });
  } finally {
    s.close();
    await provider.close();
  }
});
