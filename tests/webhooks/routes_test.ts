/** The webhook endpoints' routes: who may, what is shown, what is stored. */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { call, deviceToken, expect, type Json, servicesTest } from "../fixtures.ts";

const ALLOW = { SEATSERVE_WEBHOOKS_ALLOW_PRIVATE: "1" };

servicesTest("[webhooks] create, list, change, delete", async (t) => {
  const created = expect(
    await call(t, "POST", "/api/webhooks", {
      token: t.ownerToken,
      body: {
        url: "http://127.0.0.1:9/hook",
        events: ["order.created", "menu.updated"],
        description: "POS",
      },
    }),
    201,
  );
  assert.match(created.id, /^we_/);
  assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  // The secret is one Standard Webhooks libraries accept.
  assert.ok(new Webhook(created.secret).sign("msg_1", new Date(), "{}").startsWith("v1,"));
  assert.equal(created.enabled, true);
  assert.equal(created.description, "POS");
  assert.deepEqual(created.events, ["order.created", "menu.updated"]);
  const { secret: _secret, ...shown } = created;
  const listed = expect(await call(t, "GET", "/api/webhooks", { token: t.ownerToken }), 200);
  assert.deepEqual(listed.webhooks, [shown]);
  assert.ok(!JSON.stringify(listed).includes(created.secret));

  const changed = expect(
    await call(t, "PATCH", `/api/webhooks/${created.id}`, {
      token: t.ownerToken,
      body: { events: ["order.updated"], enabled: false },
    }),
    200,
  );
  assert.deepEqual(changed.events, ["order.updated"]);
  assert.equal(changed.enabled, false);
  assert.equal(changed.disabledReason, "Disabled by staff.");
  const again = expect(await call(t, "GET", "/api/webhooks", { token: t.ownerToken }), 200);
  assert.deepEqual(again.webhooks, [changed]);

  expect(
    await call(t, "PATCH", `/api/webhooks/${created.id}`, { token: t.ownerToken, body: {} }),
    422,
  );
  expect(
    await call(t, "POST", "/api/webhooks", {
      token: t.ownerToken,
      body: { url: "http://127.0.0.1:9/", events: ["order.shipped"] },
    }),
    422,
  );
  expect(
    await call(t, "POST", "/api/webhooks", {
      token: t.ownerToken,
      body: { url: "http://127.0.0.1:9/", events: [] },
    }),
    422,
  );
  expect(await call(t, "DELETE", `/api/webhooks/${created.id}`, { token: t.ownerToken }), 204);
  expect(await call(t, "DELETE", `/api/webhooks/${created.id}`, { token: t.ownerToken }), 404);
  expect(
    await call(t, "GET", `/api/webhooks/${created.id}/deliveries`, { token: t.ownerToken }),
    404,
  );
  assert.deepEqual(
    expect(await call(t, "GET", "/api/webhooks", { token: t.ownerToken }), 200).webhooks,
    [],
  );
}, ALLOW);

servicesTest("[webhooks] managers may, servers and kitchens may not", async (t) => {
  const manager = await deviceToken(t, "manager");
  const kitchen = await deviceToken(t, "kitchen");
  const server = await deviceToken(t, "server");
  const body = { url: "http://127.0.0.1:9/hook", events: ["order.created"] };
  expect(await call(t, "POST", "/api/webhooks", { token: manager.token, body }), 201);
  for (const who of [kitchen, server]) {
    expect(await call(t, "POST", "/api/webhooks", { token: who.token, body }), 403);
    expect(await call(t, "GET", "/api/webhooks", { token: who.token }), 403);
  }
  expect(await call(t, "GET", "/api/webhooks"), 401);
}, ALLOW);

servicesTest(
  "[webhooks] every endpoint change writes its audit entry, never the secret",
  async (t) => {
    const manager = await deviceToken(t, "manager", { label: "office" });
    const created = expect(
      await call(t, "POST", "/api/webhooks", {
        token: manager.token,
        body: { url: "http://127.0.0.1:9/hook", events: ["order.created"] },
        headers: { "x-request-id": "req-create-1" },
      }),
      201,
    );
    const { secret, ...shown } = created;
    const changed = expect(
      await call(t, "PATCH", `/api/webhooks/${created.id}`, {
        token: manager.token,
        body: { events: ["order.created", "order.updated"] },
      }),
      200,
    );
    const since = new Date(Date.now() - 60_000).toISOString();
    expect(
      await call(t, "POST", `/api/webhooks/${created.id}/replay`, {
        token: manager.token,
        body: { since },
      }),
      202,
    );
    expect(await call(t, "DELETE", `/api/webhooks/${created.id}`, { token: manager.token }), 204);
    const page = expect(
      await call(t, "GET", "/api/audit?action=webhook", { token: t.ownerToken }),
      200,
    );
    assert.ok(!JSON.stringify(page).includes(secret), "the secret is in no entry");
    const entries = [...page.entries].reverse();
    assert.deepEqual(entries.map((e: Json) => e.action), [
      "webhook.create",
      "webhook.update",
      "webhook.replay",
      "webhook.delete",
    ]);
    for (const entry of entries) {
      assert.deepEqual(entry.target, { type: "webhook", id: created.id });
      assert.equal(entry.actor.type, "device");
      assert.equal(entry.actor.id, manager.id);
      assert.equal(entry.actor.role, "manager");
    }
    assert.equal(entries[0].requestId, "req-create-1");
    assert.deepEqual(entries[0].after, shown);
    assert.deepEqual(entries[1].before, shown);
    assert.deepEqual(entries[1].after, changed);
    assert.equal(entries[2].after.since, since);
    assert.deepEqual(entries[3].before, changed);
  },
  ALLOW,
);
