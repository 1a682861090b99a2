/**
 * Every staff endpoint × every refused credential: no credential, a forged token, an expired
 * one, a revoked one, an expired and a signed-out session, a role without the permission,
 * another location's token and another location's signed-in session. Each answers exactly 401, 403 or, for another location's
 * resources, 404 as if they did not exist; and a dump of the business data (orders, menu,
 * tables, tokens, staff, locations, the feed, the audit log's location entries) is the same
 * before and after. The rows must cover every staff endpoint of the OpenAPI description, so an
 * endpoint added later without a row fails here.
 */
import assert from "node:assert/strict";
import type { Role } from "../../lib/auth/roles.ts";
import { authTokenKey, sessionKey } from "../../lib/kv/keys.ts";
import { sha256Hex } from "../../lib/kv/ids.ts";
import type { SessionRecord } from "../../lib/auth/sessions.ts";
import type { MenuItem } from "../../lib/schemas.ts";
import {
  BOOTSTRAP,
  BOOTSTRAP_AUDIT,
  call,
  deviceToken,
  expect,
  type Json,
  newTestServices,
  OWNER_TOKEN,
  placeOrder,
  type TestServices,
} from "../fixtures.ts";
import { sessionAs, startProvider } from "../auth/oidc_fixture.ts";

/** One staff endpoint as the matrix calls it. */
interface Row {
  method: string;
  /** The path with location A's ids filled in. */
  path: string;
  body?: unknown;
  /** A role that may not do this (absent: every role may). */
  wrongRole?: Role;
  /** The path names one of A's resources by id: another location gets 404, not 403. */
  byId?: boolean;
  /** The route acts on no location (`/locations`): another location's owner sees only its own. */
  noLocation?: boolean;
}

/** Keys that a refused request may touch without changing business data. */
const VOLATILE_KINDS = new Set(["session", "session_by_staff", "oauth_state", "mirror_status"]);

async function dump(t: TestServices, skip: Deno.KvKey[]): Promise<Map<string, string>> {
  const skipped = new Set(skip.map((k) => JSON.stringify(k)));
  const out = new Map<string, string>();
  for await (const entry of t.kv.list({ prefix: [] })) {
    const kind = entry.key[0] as string;
    if (VOLATILE_KINDS.has(kind)) continue;
    if (kind === "audit" && entry.key[1] === "server") continue;
    const key = JSON.stringify(entry.key);
    if (skipped.has(key)) continue;
    out.set(key, entry.versionstamp);
  }
  return out;
}

/** A path or route with its ids (or path parameters) as `{}`. */
function pathOf(path: string, ids: readonly string[] = []): string {
  let out = path.replace(/\{[^}]+\}/g, "{}");
  for (const id of ids) out = out.replaceAll(`/${id}`, "/{}");
  return out;
}

Deno.test("[auth] the staff endpoint matrix", async (t) => {
  const provider = await startProvider();
  const s = await newTestServices(provider.env);
  try {
    const a = s.location;
    const b = expect(
      await call(s, "POST", "/api/locations", {
        token: OWNER_TOKEN,
        body: { slug: "other", name: "Other", currency: "EUR" },
      }),
      201,
    );
    // Location A's things the rows name.
    const items: MenuItem[] = expect(
      await call(s, "GET", "/api/menu/items", { token: OWNER_TOKEN }),
      200,
    ).items;
    const item = items[0];
    const withOption = items.find((i) => (i.optionGroups ?? []).some((g) => g.options.length))!;
    const option = withOption.optionGroups!.find((g) => g.options.length)!.options[0];
    const tables = expect(await call(s, "GET", "/api/tables", { token: OWNER_TOKEN }), 200).tables;
    const order = await placeOrder(s);
    const aKitchen = await deviceToken(s, "kitchen");
    // A public address literal: registration needs no DNS, and nothing delivers in this test.
    const hook = expect(
      await call(s, "POST", "/api/webhooks", {
        token: OWNER_TOKEN,
        body: { url: "http://93.184.216.34/hook", events: ["order.created"] },
      }),
      201,
    );
    const request = expect(
      await call(s, "POST", "/api/service-requests", {
        body: { tableToken: tables[1].token, kind: "water" },
      }),
      201,
    );
    expect(
      await call(s, "PUT", "/api/staff/ana@example.com", {
        token: OWNER_TOKEN,
        body: { role: "manager" },
      }),
      200,
    );

    // The credentials.
    const roleTokens: Partial<Record<Role, string>> = {};
    for (const role of ["manager", "server", "kitchen"] as const) {
      roleTokens[role] = (await deviceToken(s, role)).token;
    }
    const revoked = await deviceToken(s, "owner");
    expect(await call(s, "DELETE", `/api/auth/tokens/${revoked.id}`, { token: OWNER_TOKEN }), 204);
    const expired = await s.services.auth.issueDeviceToken(BOOTSTRAP, {
      role: "owner",
      locationId: a.id,
      ttlSeconds: 1,
    }, BOOTSTRAP_AUDIT);
    const otherToken = (await deviceToken(s, "owner", { locationId: b.id })).token;
    expect(
      await call(s, "PUT", "/api/staff/bea@example.com?location=other", {
        token: OWNER_TOKEN,
        body: { role: "owner" },
      }),
      200,
    );
    const otherSession = await sessionAs(s, "bea@example.com", "?location=other");
    // A's own manager, signed in twice: one session expired, one signed out.
    const expiredSession = await sessionAs(s, "ana@example.com");
    const key = sessionKey(sha256Hex(expiredSession.cookie.split("=")[1]));
    const record = (await s.kv.get<SessionRecord>(key)).value!;
    await s.kv.set(key, { ...record, expiresAt: Date.now() - 1 });
    const signedOut = await sessionAs(s, "ana@example.com");
    expect(
      await call(s, "POST", "/auth/signout", {
        headers: { cookie: signedOut.cookie, "x-csrf-token": signedOut.csrf },
      }),
      204,
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const rows: Row[] = [
      { method: "GET", path: "/api/menu/items", wrongRole: "server" },
      {
        method: "POST",
        path: "/api/menu/items",
        body: { name: "Matrix", priceCents: 100, category: "Mains" },
        wrongRole: "kitchen",
      },
      {
        method: "PATCH",
        path: `/api/menu/items/${item.id}`,
        body: { priceCents: 1 },
        wrongRole: "server",
        byId: true,
      },
      { method: "DELETE", path: `/api/menu/items/${item.id}`, wrongRole: "kitchen", byId: true },
      {
        method: "PATCH",
        path: `/api/menu/items/${withOption.id}/options/${option.id}`,
        body: { available: false },
        wrongRole: "server",
        byId: true,
      },
      { method: "GET", path: "/api/tables", wrongRole: "kitchen" },
      { method: "POST", path: "/api/tables", body: { number: 99, seats: 2 }, wrongRole: "kitchen" },
      {
        method: "PATCH",
        path: `/api/tables/${tables[0].id}`,
        body: { seats: 9 },
        wrongRole: "kitchen",
        byId: true,
      },
      { method: "DELETE", path: `/api/tables/${tables[0].id}`, wrongRole: "kitchen", byId: true },
      {
        method: "POST",
        path: `/api/tables/${tables[0].id}/rotate-token`,
        wrongRole: "kitchen",
        byId: true,
      },
      {
        method: "GET",
        path: `/api/tables/${tables[0].id}/qr.svg`,
        wrongRole: "kitchen",
        byId: true,
      },
      { method: "GET", path: "/api/orders" },
      { method: "GET", path: `/api/orders/${order.id}`, byId: true },
      {
        method: "PATCH",
        path: `/api/orders/${order.id}`,
        body: { status: "queued" },
        wrongRole: "kitchen",
        byId: true,
      },
      { method: "GET", path: "/api/kitchen/stream" },
      { method: "GET", path: `/api/orders/${order.id}/events`, byId: true },
      { method: "GET", path: "/api/locations", wrongRole: "manager", noLocation: true },
      {
        method: "POST",
        path: "/api/locations",
        body: { slug: "matrix", name: "Matrix", currency: "EUR" },
        wrongRole: "manager",
        noLocation: true,
      },
      {
        method: "PATCH",
        path: `/api/locations/${a.id}`,
        body: { name: "Renamed" },
        wrongRole: "manager",
        byId: true,
      },
      { method: "GET", path: "/api/auth/tokens", wrongRole: "server" },
      { method: "POST", path: "/api/auth/tokens", body: { role: "kitchen" }, wrongRole: "server" },
      {
        method: "DELETE",
        path: `/api/auth/tokens/${aKitchen.id}`,
        wrongRole: "server",
        byId: true,
      },
      { method: "GET", path: "/api/analytics/summary", wrongRole: "server" },
      { method: "GET", path: "/api/me" },
      { method: "GET", path: "/api/staff", wrongRole: "server" },
      {
        method: "PUT",
        path: "/api/staff/new@example.com",
        body: { role: "server" },
        wrongRole: "server",
      },
      { method: "DELETE", path: "/api/staff/ana@example.com", wrongRole: "server" },
      { method: "GET", path: "/api/audit", wrongRole: "server" },
      { method: "GET", path: "/api/webhooks", wrongRole: "server" },
      {
        method: "POST",
        path: "/api/webhooks",
        body: { url: "http://93.184.216.34/other", events: ["order.updated"] },
        wrongRole: "kitchen",
      },
      {
        method: "PATCH",
        path: `/api/webhooks/${hook.id}`,
        body: { enabled: false },
        wrongRole: "server",
        byId: true,
      },
      { method: "DELETE", path: `/api/webhooks/${hook.id}`, wrongRole: "kitchen", byId: true },
      {
        method: "GET",
        path: `/api/webhooks/${hook.id}/deliveries`,
        wrongRole: "server",
        byId: true,
      },
      {
        method: "POST",
        path: `/api/webhooks/${hook.id}/replay`,
        body: { since: new Date().toISOString() },
        wrongRole: "kitchen",
        byId: true,
      },
      // Kitchen operations (issue 11). Line 7 is no line of the order: no refused call gets there.
      {
        method: "POST",
        path: `/api/orders/${order.id}/lines/7/ready`,
        wrongRole: "server",
        byId: true,
      },
      {
        method: "DELETE",
        path: `/api/orders/${order.id}/lines/7/ready`,
        wrongRole: "server",
        byId: true,
      },
      { method: "GET", path: "/api/settings", wrongRole: "server" },
      {
        method: "PATCH",
        path: "/api/settings",
        body: { autoAccept: true },
        wrongRole: "kitchen",
      },
      { method: "GET", path: "/api/service-requests", wrongRole: "kitchen" },
      {
        method: "POST",
        path: `/api/service-requests/${request.id}/ack`,
        wrongRole: "kitchen",
        byId: true,
      },
      { method: "GET", path: `/api/tables/${tables[0].id}/visit`, byId: true },
      {
        method: "POST",
        path: `/api/tables/${tables[0].id}/visit/close`,
        wrongRole: "kitchen",
        byId: true,
      },
    ];

    const ids = [
      item.id,
      withOption.id,
      option.id,
      tables[0].id,
      order.id,
      aKitchen.id,
      hook.id,
      "new@example.com",
      "ana@example.com",
      request.id,
      a.id,
      "7", // a line index, last: every id above is replaced first
    ];
    await t.step("the rows cover every staff endpoint", async () => {
      const doc = expect(await call(s, "GET", "/openapi.json"), 200);
      const staffEndpoints: string[] = [];
      for (const [path, operations] of Object.entries<Json>(doc.paths)) {
        for (const [method, operation] of Object.entries<Json>(operations)) {
          if (operation.security?.length) staffEndpoints.push(`${method.toUpperCase()} ${path}`);
        }
      }
      const rowEndpoints = rows.map((r) => `${r.method} ${pathOf(r.path, ids)}`);
      assert.deepEqual(
        [...new Set(rowEndpoints)].sort(),
        staffEndpoints.map((e) => pathOf(e)).sort(),
      );
    });

    const skip = [authTokenKey(expired.record.id)];
    const withCsrf = (session: { cookie: string; csrf: string }) => ({
      cookie: session.cookie,
      "x-csrf-token": session.csrf,
    });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    for (const row of rows) {
      await t.step(`${row.method} ${pathOf(row.path, ids)}`, async () => {
        const cells: [string, Record<string, string>, number, string?][] = [
          ["none", {}, 401],
          ["forged", bearer("eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.Zm9yZ2Vk"), 401],
          ["expired", bearer(expired.token), 401],
          ["revoked", bearer(revoked.token), 401],
          ["expired session", withCsrf(expiredSession), 401],
          ["revoked session", withCsrf(signedOut), 401],
        ];
        if (row.wrongRole) cells.push(["wrong role", bearer(roleTokens[row.wrongRole]!), 403]);
        const otherQuery = row.byId || row.noLocation ? "" : "?location=demo";
        const otherStatus = row.byId ? 404 : 403;
        const sessionHeaders = { cookie: otherSession.cookie, "x-csrf-token": otherSession.csrf };
        if (!(row.noLocation && row.method === "GET")) {
          cells.push(["other location's token", bearer(otherToken), otherStatus, otherQuery]);
          cells.push(["other location's session", sessionHeaders, otherStatus, otherQuery]);
        }
        const before = await dump(s, skip);
        for (const [name, headers, status, query] of cells) {
          const joined = query ? (row.path.includes("?") ? query.replace("?", "&") : query) : "";
          const response = await s.app.request(`${row.path}${joined}`, {
            method: row.method,
            headers: {
              ...headers,
              ...(row.body !== undefined ? { "content-type": "application/json" } : {}),
            },
            body: row.body === undefined ? undefined : JSON.stringify(row.body),
            signal: AbortSignal.timeout(5000),
          });
          const text = response.status < 400 ? "(not refused)" : await response.text();
          if (response.status < 400) await response.body?.cancel();
          assert.equal(response.status, status, `${name}: ${text}`);
          const body = JSON.parse(text);
          assert.equal(typeof body.error.code, "string", `${name}: ${text}`);
          if (status === 404) assert.equal(body.error.code, "not_found", `${name}: ${text}`);
        }
        if (row.noLocation && row.method === "GET") {
          // Another location's owner lists only its own.
          for (const headers of [bearer(otherToken), sessionHeaders]) {
            const listed = await call(s, "GET", row.path, { headers });
            assert.deepEqual(
              expect(listed, 200).locations.map((l: Json) => l.id),
              [b.id],
            );
          }
        }
        assert.deepEqual(await dump(s, skip), before, "nothing changed");
      });
    }
  } finally {
    s.close();
    await provider.close();
  }
});
