/**
 * Service requests end to end: a guest calls, servers see it live on the kitchen stream (the
 * kitchen role does not), acknowledge it once; rate limited per table.
 */
import assert from "node:assert/strict";
import { listChangesAfter } from "../../lib/feed/feed.ts";
import { call, deviceToken, expect, type Json } from "../fixtures.ts";
import { RawSse, streamTest } from "../routes/stream_fixture.ts";
import { DEFAULT_SETTINGS, screenSettings } from "../../lib/kitchen/settings.ts";

const SCREEN = screenSettings(DEFAULT_SETTINGS);

streamTest("[floor] service requests: created, seen live by servers, acknowledged", async (t) => {
  const server = await deviceToken(t, "server");
  const serverStream = await RawSse.open(`${t.base}/api/kitchen/stream`, {
    authorization: `Bearer ${server.token}`,
  });
  const kitchenStream = await t.kitchen();
  try {
    await serverStream.untilEvents(1);
    await kitchenStream.untilEvents(1);
    assert.deepEqual(JSON.parse(serverStream.events[0].data), {
      orders: [],
      requests: [],
      settings: SCREEN,
    });
    assert.deepEqual(JSON.parse(kitchenStream.events[0].data), { orders: [], settings: SCREEN });
    const snapshotRequests = async () => {
      const fresh = await RawSse.open(`${t.base}/api/kitchen/stream`, {
        authorization: `Bearer ${server.token}`,
      });
      try {
        await fresh.untilEvents(1);
        return JSON.parse(fresh.events[0].data).requests;
      } finally {
        await fresh.close();
      }
    };

    const table = t.tableTokens[2];
    expect(
      await call(t, "POST", "/api/service-requests", {
        body: { tableToken: "nope", kind: "bill" },
      }),
      401,
      "invalid_table_token",
    );
    expect(
      await call(t, "POST", "/api/service-requests", { body: { tableToken: table, kind: "taxi" } }),
      422,
    );
    const created = expect(
      await call(t, "POST", "/api/service-requests", {
        body: { tableToken: table, kind: "bill", note: "card please" },
      }),
      201,
    );
    const tables = expect(await call(t, "GET", "/api/tables", { token: server.token }), 200).tables;
    const number = tables.find((x: Json) => x.token === table).number;
    assert.deepEqual(created, {
      id: created.id,
      locationId: t.locationId,
      tableId: created.tableId,
      tableNumber: number,
      kind: "bill",
      note: "card please",
      status: "open",
      createdAt: created.createdAt,
      acknowledgedAt: null,
      acknowledgedBy: null,
      version: 1,
    });

    await serverStream.untilEvents(2);
    const live = serverStream.events[1];
    assert.equal(live.event, "request");
    assert.deepEqual(JSON.parse(live.data), created);
    assert.ok(live.id, "a request event has a feed id");

    const open = expect(
      await call(t, "GET", "/api/service-requests?open=true", { token: server.token }),
      200,
    );
    assert.deepEqual(open.requests, [created]);
    assert.deepEqual(await snapshotRequests(), [created], "a fresh floor screen has it at once");
    const kitchen = t.kitchenToken;
    expect(await call(t, "GET", "/api/service-requests?open=true", { token: kitchen }), 403);
    expect(
      await call(t, "POST", `/api/service-requests/${created.id}/ack`, { token: kitchen }),
      403,
    );

    const acked = expect(
      await call(t, "POST", `/api/service-requests/${created.id}/ack`, { token: server.token }),
      200,
    );
    assert.equal(acked.status, "acknowledged");
    assert.equal(acked.acknowledgedBy, server.by);
    assert.equal(acked.version, 2);
    expect(
      await call(t, "POST", `/api/service-requests/${created.id}/ack`, { token: server.token }),
      409,
      "already_acknowledged",
    );
    expect(
      await call(t, "POST", `/api/service-requests/01JNOSUCHREQUEST0000000000/ack`, {
        token: server.token,
      }),
      404,
    );
    await serverStream.untilEvents(3);
    assert.deepEqual(JSON.parse(serverStream.events[2].data), acked);
    assert.deepEqual(await snapshotRequests(), [], "acknowledged: no longer open");
    assert.deepEqual(
      expect(await call(t, "GET", "/api/service-requests?open=true", { token: server.token }), 200)
        .requests,
      [],
    );
    assert.deepEqual(
      expect(await call(t, "GET", "/api/service-requests", { token: server.token }), 200).requests,
      [acked],
    );

    // Both on the feed, so the mirror and webhooks see them.
    const onFeed = [];
    for await (const change of listChangesAfter(t.services.kv, t.locationId, null)) {
      if (change.type === "service_request") onFeed.push(change.request);
    }
    assert.deepEqual(onFeed, [created, acked]);

    // A kitchen screen sees no requests; an order still reaches both.
    const order = await t.place();
    await kitchenStream.until(() => kitchenStream.events.some((e) => e.data.includes(order.id)));
    await serverStream.until(() => serverStream.events.some((e) => e.data.includes(order.id)));
    assert.deepEqual(kitchenStream.events.map((e) => e.event), ["snapshot", "order"]);

    // A server resuming after the first request event gets exactly what followed.
    const resumed = await RawSse.open(`${t.base}/api/kitchen/stream`, {
      authorization: `Bearer ${server.token}`,
      "last-event-id": live.id!,
    });
    try {
      await resumed.untilEvents(2);
      assert.deepEqual(
        resumed.events.map((e) => [e.event, e.id]),
        serverStream.events.slice(2).map((e) => [e.event, e.id]),
      );
    } finally {
      await resumed.close();
    }
  } finally {
    await serverStream.close();
    await kitchenStream.close();
  }
});

streamTest("[floor] service requests are rate limited per table", async (t) => {
  const [a, b] = t.tableTokens;
  // The default rule: 5 at once, then 2 a minute.
  for (let i = 0; i < 5; i++) {
    expect(
      await call(t, "POST", "/api/service-requests", { body: { tableToken: a, kind: "water" } }),
      201,
    );
  }
  const limited = await call(t, "POST", "/api/service-requests", {
    body: { tableToken: a, kind: "water" },
  });
  expect(limited, 429, "rate_limited");
  const retryAfter = Number(limited.headers.get("retry-after"));
  assert.ok(retryAfter >= 1 && retryAfter <= 30, `Retry-After ${retryAfter}`);
  // Another table is not limited by the first.
  expect(
    await call(t, "POST", "/api/service-requests", { body: { tableToken: b, kind: "other" } }),
    201,
  );
  const open = expect(
    await call(t, "GET", "/api/service-requests?open=true", { token: t.ownerToken! }),
    200,
  );
  assert.equal(open.requests.length, 6, "the refused one was not stored");
}, { env: { SEATSERVE_RATE_LIMIT: "on" } });
