/** The webhook endpoints' routes: who may, what is shown, what is stored. */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { call, deviceToken, expect, servicesTest } from "../fixtures.ts";

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
