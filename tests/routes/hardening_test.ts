/**
 * The leak fixes and edges of issue 8: guests see roles, not credential ids; weak ETags never
 * match If-Match; out_of_service tables take no orders; table token rotation; stream caps;
 * CORS for listed origins only; the /docs CSP; JSON request logs without secrets.
 */
import assert from "node:assert/strict";
import { createApp } from "../../routes/app.ts";
import { requestLog } from "../../routes/middleware/request_log.ts";
import {
  call,
  changeTable,
  deviceToken,
  expect,
  moveOrder,
  OWNER_TOKEN,
  postOrder,
  readOrder,
  readOrders,
  readTable,
  servicesTest,
  withoutEstimate,
} from "../fixtures.ts";
import { callFrom, requestFrom, simpleOrder, tokensByNumber } from "./hardening_fixture.ts";

servicesTest(
  "[hardening] guests see who moved their order by role; staff see the id",
  async (s) => {
    const tokens = await tokensByNumber(s);
    const order = await postOrder(s, await simpleOrder(s, tokens.get(1)!));
    const server = await deviceToken(s, "server");
    await moveOrder(s, order.id, "queued", { as: server });
    const staffView = await readOrder(s, order.id);
    assert.deepEqual(staffView.history.map((h) => h.by), ["guest", server.by]);
    const guest = expect(
      await call(s, "GET", `/api/orders/${order.id}?token=${encodeURIComponent(order.orderToken)}`),
      200,
    );
    assert.deepEqual(withoutEstimate(guest), {
      ...staffView,
      history: staffView.history.map((h) => ({ ...h, by: h.by.split(":")[0] })),
    });
    assert.ok(!JSON.stringify(guest).includes(server.id), "the device token's id reached a guest");
    // The guest's event stream too.
    const stream = await s.app.request(
      `/api/orders/${order.id}/events?token=${encodeURIComponent(order.orderToken)}`,
    );
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    // Until the move's event (a hub already running may first send the order as it took it in).
    while (!text.includes('"status":"queued"')) text += (await reader.read()).value ?? "";
    while (!text.endsWith("\n\n")) text += (await reader.read()).value ?? "";
    await reader.cancel();
    assert.ok(text.includes('"by":"server"'), text);
    assert.ok(!text.includes(server.id), "the device token's id reached a guest's stream");
  },
);

servicesTest("[hardening] If-Match: a weak tag never matches; strong and * do", async (s) => {
  const tokens = await tokensByNumber(s);
  const order = await postOrder(s, await simpleOrder(s, tokens.get(1)!));
  const weak = await call(s, "PATCH", `/api/orders/${order.id}`, {
    token: OWNER_TOKEN,
    body: { status: "queued" },
    headers: { "if-match": `W/"${order.version}"` },
  });
  expect(weak, 409, "version_conflict");
  assert.equal((await readOrder(s, order.id)).status, "pending", "a weak If-Match moved it");
  const strong = await call(s, "PATCH", `/api/orders/${order.id}`, {
    token: OWNER_TOKEN,
    body: { status: "queued" },
    headers: { "if-match": `"${order.version}"` },
  });
  assert.equal(expect(strong, 200).status, "queued");
  const star = await call(s, "PATCH", `/api/orders/${order.id}`, {
    token: OWNER_TOKEN,
    body: { status: "preparing" },
    headers: { "if-match": "*" },
  });
  assert.equal(expect(star, 200).status, "preparing");
});

servicesTest(
  "[hardening] an out_of_service table takes no orders (409 table_unavailable)",
  async (s) => {
    const tokens = await tokensByNumber(s);
    const [table] = (await call(s, "GET", "/api/tables", { token: OWNER_TOKEN })).body.tables;
    await changeTable(s, table.id, { status: "out_of_service" });
    const body = await simpleOrder(s, tokens.get(table.number)!);
    expect(await call(s, "POST", "/api/orders", { body }), 409, "table_unavailable");
    expect(
      await call(s, "POST", "/api/orders", { body, headers: { "idempotency-key": "k-1" } }),
      409,
      "table_unavailable",
    );
    assert.equal((await readOrders(s)).length, 0);
    await changeTable(s, table.id, { status: "available" });
    await postOrder(s, body);
    assert.equal((await readOrders(s)).length, 1);
  },
);

servicesTest(
  "[hardening] rotate-token: the old token is refused at once, the new one works",
  async (s) => {
    const [table] = (await call(s, "GET", "/api/tables", { token: OWNER_TOKEN })).body.tables;
    const before = await readTable(s, table.id);
    const server = await deviceToken(s, "server");
    const reply = await call(s, "POST", `/api/tables/${table.id}/rotate-token`, {
      token: server.token,
      headers: { "x-request-id": "rotate-1" },
    });
    const rotated = expect(reply, 200);
    assert.notEqual(rotated.token, before!.token);
    // Audited like every staff mutation: one entry, who did it, in which request, no token.
    const audit = expect(
      await call(s, "GET", "/api/audit?action=table.rotate_token", { token: OWNER_TOKEN }),
      200,
    ).entries;
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0].target, { type: "table", id: table.id });
    assert.equal(audit[0].actor.id, server.id);
    assert.equal(audit[0].actor.role, "server");
    assert.equal(audit[0].requestId, "rotate-1");
    assert.ok(!JSON.stringify(audit[0]).includes(rotated.token), "the new token in the audit log");
    assert.ok(!JSON.stringify(audit[0]).includes(before!.token), "the old token in the audit log");
    assert.deepEqual(rotated, {
      ...before,
      token: rotated.token,
      qrUrl: before!.qrUrl.replace(
        encodeURIComponent(before!.token),
        encodeURIComponent(rotated.token),
      ),
    });
    assert.deepEqual(await readTable(s, table.id), rotated);
    // Refused everywhere at once: the menu and ordering.
    expect(await call(s, "GET", `/api/menu?table=${before!.token}`), 401, "invalid_table_token");
    expect(
      await call(s, "POST", "/api/orders", { body: await simpleOrder(s, before!.token) }),
      401,
      "invalid_table_token",
    );
    // The new one works.
    assert.equal(
      expect(await call(s, "GET", `/api/menu?table=${rotated.token}`), 200).location.slug,
      "demo",
    );
    const order = await postOrder(s, await simpleOrder(s, rotated.token));
    assert.equal(order.tableId, table.id);
    // Kitchen may not rotate; unknown tables are 404.
    const kitchen = await deviceToken(s, "kitchen");
    expect(
      await call(s, "POST", `/api/tables/${table.id}/rotate-token`, { token: kitchen.token }),
      403,
    );
    expect(await call(s, "POST", "/api/tables/nope/rotate-token", { token: OWNER_TOKEN }), 404);
  },
);

servicesTest(
  "[hardening] stream caps: per order token, per staff credential, per address; freed on close",
  async (s) => {
    const tokens = await tokensByNumber(s);
    const order = await postOrder(s, await simpleOrder(s, tokens.get(1)!));
    const guestPath = `/api/orders/${order.id}/events?token=${
      encodeURIComponent(order.orderToken)
    }`;
    const first = await requestFrom(s, "10.1.0.1", "GET", guestPath);
    const second = await requestFrom(s, "10.1.0.2", "GET", guestPath);
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    const third = await callFrom(s, "10.1.0.3", "GET", guestPath);
    expect(third, 429, "too_many_streams");
    assert.ok(Number(third.headers.get("retry-after")) >= 1);
    await first.body!.cancel();
    const again = await requestFrom(s, "10.1.0.3", "GET", guestPath);
    assert.equal(again.status, 200, "a closed stream's slot was not given back");
    await second.body!.cancel();
    await again.body!.cancel();

    // Staff: per credential, whatever the address.
    const kitchen = await deviceToken(s, "kitchen");
    const kitchenPath = `/api/kitchen/stream?access_token=${kitchen.token}`;
    const k1 = await requestFrom(s, "10.2.0.1", "GET", kitchenPath);
    const k2 = await requestFrom(s, "10.2.0.2", "GET", kitchenPath);
    assert.deepEqual([k1.status, k2.status], [200, 200]);
    expect(await callFrom(s, "10.2.0.3", "GET", kitchenPath), 429, "too_many_streams");
    // Another credential is not limited by this one.
    const other = await requestFrom(
      s,
      "10.2.0.3",
      "GET",
      `/api/kitchen/stream?access_token=${OWNER_TOKEN}`,
    );
    assert.equal(other.status, 200);
    for (const r of [k1, k2, other]) await r.body!.cancel();

    // Per address: menu streams (anyone) from one address.
    const menus = [];
    for (let i = 0; i < 3; i++) {
      menus.push(await requestFrom(s, "10.3.0.1", "GET", "/api/menu/stream?location=demo"));
    }
    assert.deepEqual(menus.map((r) => r.status), [200, 200, 200]);
    expect(
      await callFrom(s, "10.3.0.1", "GET", "/api/menu/stream?location=demo"),
      429,
      "too_many_streams",
    );
    const elsewhere = await requestFrom(s, "10.3.0.2", "GET", "/api/menu/stream?location=demo");
    assert.equal(elsewhere.status, 200);
    for (const r of [...menus, elsewhere]) await r.body!.cancel();
    assert.equal(s.services.streams.count("address", "10.3.0.1"), 0);
  },
  {
    SEATSERVE_STREAMS_PER_ORDER: "2",
    SEATSERVE_STREAMS_PER_STAFF: "2",
    SEATSERVE_STREAMS_PER_ADDRESS: "3",
  },
);

servicesTest(
  "[hardening] CORS: a listed origin gets headers and a 204 preflight; others none",
  async (s) => {
    const preflight = await s.app.request("/api/orders", {
      method: "OPTIONS",
      headers: {
        origin: "https://menu.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, idempotency-key",
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://menu.example.com");
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Idempotency-Key/i);
    const get = await s.app.request("/api/menu?location=demo", {
      headers: { origin: "https://menu.example.com" },
    });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get("access-control-allow-origin"), "https://menu.example.com");
    assert.match(get.headers.get("access-control-expose-headers") ?? "", /X-Request-Id/);
    const other = await s.app.request("/api/menu?location=demo", {
      headers: { origin: "https://evil.example" },
    });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    const otherPreflight = await s.app.request("/api/orders", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(otherPreflight.headers.get("access-control-allow-origin"), null);
    assert.notEqual(otherPreflight.status, 204);
  },
  { SEATSERVE_CORS_ORIGINS: "https://menu.example.com, https://staff.example.com" },
);

servicesTest("[hardening] CORS off without SEATSERVE_CORS_ORIGINS", async (s) => {
  const get = await s.app.request("/api/menu?location=demo", {
    headers: { origin: "https://menu.example.com" },
  });
  assert.equal(get.headers.get("access-control-allow-origin"), null);
});

servicesTest("[hardening] /docs: a CSP that runs only the page's own scripts", async (s) => {
  const response = await s.app.request("/docs");
  assert.equal(response.status, 200);
  const csp = response.headers.get("content-security-policy") ?? "";
  const html = await response.text();
  const directive = (name: string) =>
    csp.split(";").map((d) => d.trim()).find((d) => d.startsWith(`${name} `)) ?? "";
  assert.equal(directive("script-src"), "script-src 'self'");
  assert.match(directive("frame-ancestors"), /'none'/);
  assert.match(directive("connect-src"), /^connect-src 'self'$/);
  // Every script the page loads is one of ours, by URL: none inline, which the CSP would block.
  const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length > 0);
  for (const [, attributes, body] of scripts) {
    assert.match(attributes, /src="\/docs\//);
    assert.equal(body.trim(), "");
  }
  for (const [, src] of html.matchAll(/src="([^"]+)"/g)) {
    const asset = await s.app.request(src);
    assert.equal(asset.status, 200, src);
    await asset.body?.cancel();
  }
});

servicesTest(
  "[hardening] JSON request logs: request id, status, address; no token, no query",
  async (s) => {
    const lines: string[] = [];
    // The same app, logging into `lines` (SEATSERVE_LOG=json logs to stdout).
    const app = createApp(s.services);
    const logged = new (app.constructor as typeof import("@hono/zod-openapi").OpenAPIHono)();
    logged.use("*", requestLog({ write: (line) => lines.push(line) }));
    logged.route("/", app);
    const tokens = await tokensByNumber(s);
    const order = await postOrder(s, await simpleOrder(s, tokens.get(1)!));
    const secrets = [order.orderToken, tokens.get(1)!, OWNER_TOKEN];
    const requests = [
      `/api/orders/${order.id}?token=${encodeURIComponent(order.orderToken)}`,
      `/api/menu?table=${tokens.get(1)}`,
      `/api/kitchen/stream?access_token=${OWNER_TOKEN}&lastEventId=x`,
      `/t/${tokens.get(1)}`,
      "/api/orders?limit=1",
    ];
    const ids: string[] = [];
    for (const path of requests) {
      const response = await logged.request(path, {
        headers: { authorization: `Bearer ${OWNER_TOKEN}`, "x-request-id": `req-${ids.length}` },
      });
      ids.push(response.headers.get("x-request-id")!);
      await response.body?.cancel();
    }
    assert.equal(lines.length, requests.length);
    for (const [i, line] of lines.entries()) {
      const entry = JSON.parse(line);
      assert.equal(entry.requestId, ids[i]);
      assert.equal(entry.msg, "request");
      assert.equal(typeof entry.status, "number");
      assert.equal(typeof entry.ms, "number");
      for (const secret of secrets) assert.ok(!line.includes(secret), `a secret in: ${line}`);
    }
    assert.equal(JSON.parse(lines[3]).path, "/t/<token>");
    assert.equal(JSON.parse(lines[0]).path, `/api/orders/${order.id}`);
  },
);
