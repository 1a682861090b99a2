/**
 * Staff authentication in three steps (routes/middleware/auth.ts) with server-side sessions
 * (lib/auth/sessions.ts): what a session cookie opens, when it stops, and CSRF.
 */
import assert from "node:assert/strict";
import { createSession, type SessionRecord } from "../../lib/auth/sessions.ts";
import { sha256Hex } from "../../lib/kv/ids.ts";
import { sessionKey } from "../../lib/kv/keys.ts";
import {
  BOOTSTRAP_AUDIT,
  deviceToken,
  jsonHeaders,
  newTestServices,
  OWNER_TOKEN,
  placeOrder,
  type TestServices,
} from "../fixtures.ts";

const LIFETIME = { ttlMs: 60 * 60 * 1000, idleMs: 30 * 60 * 1000 };

async function sessionFor(t: TestServices, token = OWNER_TOKEN) {
  const principal = await t.services.auth.authenticate(token);
  assert.ok(principal);
  return await createSession(t.kv, { principal, locationId: t.location.id, lifetime: LIFETIME });
}

function cookie(id: string): Record<string, string> {
  return { cookie: `seatserve_session=${id}` };
}

async function getOrderStatus(t: TestServices, id: string): Promise<string> {
  const res = await t.app.request(`/api/orders/${id}`, { headers: jsonHeaders(OWNER_TOKEN) });
  return (await res.json()).status;
}

Deno.test("[auth] sessions", async (t) => {
  const s = await newTestServices();
  try {
    await t.step(
      "a session cookie opens staff endpoints",
      async () => {
        const { id } = await sessionFor(s);
        const res = await s.app.request("/api/orders?limit=1", { headers: cookie(id) });
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.deepEqual(Object.keys(body).sort(), ["cursor", "orders"]);
        assert.ok(Array.isArray(body.orders));
      },
    );

    await t.step("the store holds the session by the id's hash, never the id", async () => {
      const { id, record } = await sessionFor(s);
      assert.equal((await s.kv.get(sessionKey(id))).versionstamp, null);
      const stored = (await s.kv.get<SessionRecord>(sessionKey(sha256Hex(id)))).value;
      assert.deepEqual(stored, record);
      assert.equal(stored?.principal.role, "owner");
      assert.equal(stored?.locationId, s.location.id);
      assert.ok(stored!.csrfToken.length >= 30);
    });

    await t.step("a bearer token in the cookie is not a session", async () => {
      const res = await s.app.request("/api/orders", { headers: cookie(OWNER_TOKEN) });
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error.code, "session_expired");
    });

    await t.step("revoked, expired and idle sessions are refused", async () => {
      const revoked = await sessionFor(s);
      await s.kv.delete(sessionKey(sha256Hex(revoked.id)));
      const expired = await sessionFor(s);
      const idle = await sessionFor(s);
      for (
        const [session, patch] of [
          [expired, { expiresAt: Date.now() - 1 }],
          [idle, { lastSeenAt: Date.now() - LIFETIME.idleMs - 1 }],
        ] as const
      ) {
        const key = sessionKey(sha256Hex(session.id));
        await s.kv.set(key, { ...session.record, ...patch });
      }
      for (const session of [revoked, expired, idle]) {
        const res = await s.app.request("/api/orders", { headers: cookie(session.id) });
        assert.equal(res.status, 401, session.id);
      }
    });

    await t.step(
      "a session opened with a device token ends when the token is revoked",
      async () => {
        const kitchen = await deviceToken(s, "kitchen");
        const { id } = await sessionFor(s, kitchen.token);
        assert.equal((await s.app.request("/api/orders", { headers: cookie(id) })).status, 200);
        await s.services.auth.revokeDeviceToken(kitchen.id, BOOTSTRAP_AUDIT);
        assert.equal((await s.app.request("/api/orders", { headers: cookie(id) })).status, 401);
      },
    );

    await t.step("a session's role is the role it was opened with", async () => {
      const kitchen = await deviceToken(s, "kitchen");
      const { id } = await sessionFor(s, kitchen.token);
      const res = await s.app.request("/api/tables", { headers: cookie(id) });
      assert.equal(res.status, 403);
    });

    await t.step("CSRF: a cookie state change needs the session's X-CSRF-Token", async () => {
      const { id, record } = await sessionFor(s);
      const order = await placeOrder(s);
      const patch = (headers: Record<string, string>) =>
        s.app.request(`/api/orders/${order.id}`, {
          method: "PATCH",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify({ status: "queued" }),
        });
      for (const headers of [cookie(id), { ...cookie(id), "x-csrf-token": "wrong" }]) {
        const refused = await patch(headers);
        assert.equal(refused.status, 403);
        assert.equal((await refused.json()).error.code, "csrf_failed");
        assert.equal(await getOrderStatus(s, order.id), "pending", "nothing changed");
      }
      const ok = await patch({ ...cookie(id), "x-csrf-token": record.csrfToken });
      assert.equal(ok.status, 200);
      assert.equal((await ok.json()).status, "queued");
      // A bearer token needs none.
      const bearer = await s.app.request(`/api/orders/${order.id}`, {
        method: "PATCH",
        headers: jsonHeaders(OWNER_TOKEN),
        body: JSON.stringify({ status: "cancelled" }),
      });
      assert.equal(bearer.status, 200);
      assert.equal(await getOrderStatus(s, order.id), "cancelled");
    });

    await t.step("a session-authenticated move is recorded as its principal", async () => {
      const kitchen = await deviceToken(s, "kitchen");
      const { id, record } = await sessionFor(s, kitchen.token);
      const order = await placeOrder(s);
      await s.app.request(`/api/orders/${order.id}`, {
        method: "PATCH",
        headers: jsonHeaders(OWNER_TOKEN),
        body: JSON.stringify({ status: "queued" }),
      });
      const res = await s.app.request(`/api/orders/${order.id}`, {
        method: "PATCH",
        headers: {
          "content-type": "application/json",
          ...cookie(id),
          "x-csrf-token": record.csrfToken,
        },
        body: JSON.stringify({ status: "preparing" }),
      });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).history.at(-1).by, `kitchen:${kitchen.id}`);
    });
  } finally {
    s.close();
  }
});
