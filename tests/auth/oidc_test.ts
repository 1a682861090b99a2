/**
 * Staff sign-in against a real OpenID provider (tests/auth/oidc_fixture.ts): the whole flow,
 * every refusal of the callback, sessions ending (sign-out, expiry, removal from the directory),
 * CSRF, device sign-in, the rate limit, and sign-in when it is not configured.
 */
import assert from "node:assert/strict";
import type { SessionRecord } from "../../lib/auth/sessions.ts";
import { sha256Hex } from "../../lib/kv/ids.ts";
import { sessionKey, sessionsByStaffPrefix } from "../../lib/kv/keys.ts";
import {
  call,
  deviceToken,
  expect,
  type Json,
  menuItems,
  newTestServices,
  OWNER_TOKEN,
  type TestServices,
  withServices,
} from "../fixtures.ts";
import {
  finishSignIn,
  ProviderBrowser,
  sessionAs,
  sessionCookieOf,
  signInAs,
  startProvider,
  startSignIn,
  type TestProvider,
} from "./oidc_fixture.ts";

const MANAGER = "ana@example.com";
const OWNER = "olga@example.com";

async function addStaff(t: TestServices, email: string, role: string, token = OWNER_TOKEN) {
  return expect(await call(t, "PUT", `/api/staff/${email}`, { token, body: { role } }), 200);
}

async function auditActions(t: TestServices, query = ""): Promise<Json[]> {
  return expect(await call(t, "GET", `/api/audit?limit=200${query}`, { token: OWNER_TOKEN }), 200)
    .entries;
}

function assertNoCookie(reply: { headers: Headers }) {
  assert.equal(reply.headers.getSetCookie().length, 0, "no session cookie");
}

async function sessionCount(t: TestServices): Promise<number> {
  let n = 0;
  for await (const _ of t.kv.list({ prefix: ["session"] })) n++;
  return n;
}

Deno.test("[auth] OpenID Connect sign-in", async (t) => {
  const provider: TestProvider = await startProvider();
  const s = await newTestServices(provider.env);
  try {
    await addStaff(s, MANAGER, "manager");
    await addStaff(s, OWNER, "owner");

    await t.step("sign in, use the session, sign out: the same cookie is refused", async () => {
      const { reply: start, url } = await startSignIn(s, "?next=/kitchen%3Fview%3D1");
      const authorize = new URL(url);
      assert.equal(authorize.origin, provider.issuer);
      assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
      assert.ok(authorize.searchParams.get("state")!.length >= 20);
      assert.ok(authorize.searchParams.get("nonce")!.length >= 20);
      assertNoCookie(start);
      const callback = await new ProviderBrowser().authorize(url, MANAGER);
      const done = await finishSignIn(s, callback);
      assert.equal(done.status, 303, done.text);
      assert.equal(done.headers.get("location"), "/kitchen?view=1");
      const setCookie = done.headers.getSetCookie()[0];
      assert.match(
        setCookie,
        /^seatserve_session=[A-Za-z0-9_-]{40,}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      const cookie = sessionCookieOf(done);

      const me = expect(await call(s, "GET", "/api/me", { headers: { cookie } }), 200);
      assert.deepEqual(me, {
        role: "manager",
        location: { id: s.location.id, slug: s.location.slug, name: s.location.name },
        via: "session",
        email: MANAGER,
        csrfToken: me.csrfToken,
      });
      const tables = expect(await call(s, "GET", "/api/tables", { headers: { cookie } }), 200);
      assert.equal(tables.tables.length, 12);

      const out = await call(s, "POST", "/auth/signout", {
        headers: { cookie, "x-csrf-token": me.csrfToken },
      });
      assert.equal(out.status, 204, out.text);
      assert.match(out.headers.getSetCookie()[0], /^seatserve_session=; Max-Age=0/);
      expect(await call(s, "GET", "/api/tables", { headers: { cookie } }), 401, "session_expired");
      expect(await call(s, "GET", "/api/me", { headers: { cookie } }), 401, "session_expired");
    });

    await t.step("sign-out without the CSRF token is refused and ends nothing", async () => {
      const { cookie } = await sessionAs(s, MANAGER);
      const out = await call(s, "POST", "/auth/signout", { headers: { cookie } });
      expect(out, 403, "csrf_failed");
      expect(await call(s, "GET", "/api/me", { headers: { cookie } }), 200);
    });

    await t.step("a plain form may send the CSRF token as a field", async () => {
      const { cookie, csrf } = await sessionAs(s, MANAGER);
      const out = await call(s, "POST", "/auth/signout", {
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: `csrfToken=${encodeURIComponent(csrf)}`,
      });
      // A form is sent back to a page (here the default, no `next` given), a script gets 204.
      assert.equal(out.status, 303, out.text);
      assert.equal(out.headers.get("location"), "/admin");
      expect(await call(s, "GET", "/api/me", { headers: { cookie } }), 401, "session_expired");
    });

    await t.step("a state the server never issued is refused, with no session", async () => {
      const before = await sessionCount(s);
      const { url } = await startSignIn(s);
      const callback = await new ProviderBrowser().authorize(url, MANAGER);
      callback.searchParams.set("state", "forged-state-000000000000000000");
      const reply = await finishSignIn(s, callback);
      expect(reply, 400, "invalid_state");
      assertNoCookie(reply);
      assert.equal(await sessionCount(s), before);
    });

    await t.step("a replayed callback and a replayed code are refused", async () => {
      const { url } = await startSignIn(s);
      const callback = await new ProviderBrowser().authorize(url, MANAGER);
      expect(await finishSignIn(s, callback), 303);
      const before = await sessionCount(s);
      const again = await finishSignIn(s, callback);
      expect(again, 400, "invalid_state");
      assertNoCookie(again);
      // The same code under a fresh state of ours: the provider refuses the code's second use.
      const { url: second } = await startSignIn(s);
      const replayed = new URL(callback);
      replayed.searchParams.set("state", new URL(second).searchParams.get("state")!);
      const reply = await finishSignIn(s, replayed);
      expect(reply, 401, "sign_in_failed");
      assert.match(reply.body.error.message, /invalid_grant/);
      assertNoCookie(reply);
      assert.equal(await sessionCount(s), before);
    });

    await t.step("a tampered id token (another email, same signature) is refused", async () => {
      const before = await sessionCount(s);
      provider.tamperNextIdToken(OWNER);
      const reply = await signInAs(s, MANAGER);
      expect(reply, 401, "sign_in_failed");
      assertNoCookie(reply);
      assert.equal(await sessionCount(s), before);
    });

    await t.step("an id token for another nonce is refused", async () => {
      const before = await sessionCount(s);
      const { url } = await startSignIn(s);
      const changed = new URL(url);
      changed.searchParams.set("nonce", "a-nonce-the-server-did-not-issue");
      const callback = await new ProviderBrowser().authorize(changed.href, MANAGER);
      const reply = await finishSignIn(s, callback);
      expect(reply, 401, "sign_in_failed");
      assert.match(reply.body.error.message, /nonce/);
      assertNoCookie(reply);
      assert.equal(await sessionCount(s), before);
    });

    await t.step("an email not in the directory is refused", async () => {
      const before = await sessionCount(s);
      const reply = await signInAs(s, "stranger@example.com");
      expect(reply, 403, "not_in_directory");
      assertNoCookie(reply);
      assert.equal(await sessionCount(s), before);
      // The same refusal as a page for a browser.
      const { url } = await startSignIn(s);
      const callback = await new ProviderBrowser().authorize(url, "stranger@example.com");
      const page = await call(s, "GET", `/auth/callback${callback.search}`, {
        headers: { accept: "text/html" },
      });
      assert.equal(page.status, 403);
      assert.match(page.headers.get("content-type")!, /^text\/html/);
      assert.match(
        page.text,
        /stranger@example\.com is not in this restaurant&#39;s staff directory/,
      );
    });

    await t.step("another location's staff cannot sign in at this one", async () => {
      const other = expect(
        await call(s, "POST", "/api/locations", {
          token: OWNER_TOKEN,
          body: { slug: "harbour", name: "Harbour", currency: "EUR" },
        }),
        201,
      );
      await addStaff(s, "hugo@example.com", "manager");
      const reply = await signInAs(s, "hugo@example.com", `?location=${other.slug}`);
      expect(reply, 403, "not_in_directory");
      expect(await call(s, "GET", "/auth/signin?location=nowhere"), 404);
    });

    await t.step("an expired or idle session is refused", async () => {
      for (const patch of [{ expiresAt: Date.now() - 1 }, { lastSeenAt: 0 }]) {
        const { cookie } = await sessionAs(s, MANAGER);
        const id = cookie.split("=")[1];
        const key = sessionKey(sha256Hex(id));
        const record = (await s.kv.get<SessionRecord>(key)).value!;
        await s.kv.set(key, { ...record, ...patch });
        expect(await call(s, "GET", "/api/me", { headers: { cookie } }), 401, "session_expired");
      }
    });

    await t.step("removing a staff member ends their live session at once", async () => {
      await addStaff(s, "sam@example.com", "server");
      const { cookie } = await sessionAs(s, "sam@example.com");
      expect(await call(s, "GET", "/api/tables", { headers: { cookie } }), 200);
      const removed = await call(s, "DELETE", "/api/staff/sam@example.com", { token: OWNER_TOKEN });
      assert.equal(removed.status, 204, removed.text);
      expect(await call(s, "GET", "/api/tables", { headers: { cookie } }), 401, "session_expired");
      const left = [];
      for await (
        const e of s.kv.list({ prefix: sessionsByStaffPrefix(s.location.id, "sam@example.com") })
      ) {
        left.push(e);
      }
      assert.deepEqual(left, []);
      expect(await call(s, "DELETE", "/api/staff/sam@example.com", { token: OWNER_TOKEN }), 404);
    });

    await t.step("a role change applies to a live session's next request", async () => {
      await addStaff(s, "kim@example.com", "manager");
      const { cookie } = await sessionAs(s, "kim@example.com");
      expect(await call(s, "GET", "/api/staff", { headers: { cookie } }), 200);
      await addStaff(s, "kim@example.com", "kitchen");
      expect(await call(s, "GET", "/api/staff", { headers: { cookie } }), 403);
      assert.equal(
        expect(await call(s, "GET", "/api/me", { headers: { cookie } }), 200).role,
        "kitchen",
      );
    });

    await t.step("CSRF: a cookie PATCH needs the session's X-CSRF-Token", async () => {
      const { cookie, csrf } = await sessionAs(s, MANAGER);
      const [item] = await menuItems(s, true);
      const path = `/api/menu/items/${item.id}`;
      const body = { available: false };
      const read = async () =>
        expect(await call(s, "GET", "/api/menu?location=demo"), 200).items.find((i: Json) =>
          i.id === item.id
        );
      const before = await read();
      const refused: Record<string, string>[] = [{ cookie }, { cookie, "x-csrf-token": "wrong" }];
      for (const headers of refused) {
        expect(await call(s, "PATCH", path, { body, headers }), 403, "csrf_failed");
        assert.deepEqual(await read(), before);
      }
      const ok = await call(s, "PATCH", path, { body, headers: { cookie, "x-csrf-token": csrf } });
      assert.equal(expect(ok, 200).available, false);
      assert.equal((await read()).available, false);
      const bearer = await call(s, "PATCH", path, {
        token: OWNER_TOKEN,
        body: { available: true },
      });
      assert.equal(expect(bearer, 200).available, true);
      assert.equal((await read()).available, true);
    });

    await t.step(
      "the staff directory: roles a caller may grant, and who it may change",
      async () => {
        const { cookie, csrf } = await sessionAs(s, MANAGER);
        const headers = { cookie, "x-csrf-token": csrf };
        const grant = (email: string, role: string) =>
          call(s, "PUT", `/api/staff/${email}`, { body: { role, name: "Zoe" }, headers });
        expect(await grant("zoe@example.com", "owner"), 403);
        expect(await call(s, "DELETE", `/api/staff/${OWNER}`, { headers }), 403);
        expect(await grant(OWNER, "kitchen"), 403);
        const added = expect(await grant("Zoe@Example.com", "server"), 200);
        assert.deepEqual(added, {
          email: "zoe@example.com",
          role: "server",
          name: "Zoe",
          addedAt: added.addedAt,
        });
        expect(await grant("not-an-email", "server"), 400);
        expect(
          await call(s, "PUT", "/api/staff/x@example.com", { body: { role: "chef" }, headers }),
          422,
        );
        const listed =
          expect(await call(s, "GET", "/api/staff", { headers: { cookie } }), 200).staff;
        assert.deepEqual(listed.find((m: Json) => m.email === "zoe@example.com"), added);
        assert.deepEqual(
          listed.map((m: Json) => m.email),
          [MANAGER, "hugo@example.com", "kim@example.com", OWNER, "zoe@example.com"],
        );
      },
    );

    await t.step("the audit log holds the sign-ins, failures and sign-outs", async () => {
      const entries = await auditActions(s, "&action=auth");
      const count = (action: string) => entries.filter((e) => e.action === action).length;
      assert.equal(count("auth.sign_in"), 10);
      assert.equal(count("auth.sign_out"), 2);
      assert.ok(
        entries.filter((e) => e.action === "auth.sign_out").every((e) => e.actor.email === MANAGER),
      );
      const failures = entries.filter((e) => e.action === "auth.sign_in_failed");
      assert.deepEqual(
        failures.map((e) => e.after.reason).sort(),
        [
          "not_in_directory",
          "not_in_directory",
          "sign_in_failed",
          "sign_in_failed",
          "sign_in_failed",
        ],
      );
      const signIn = entries.find((e) => e.action === "auth.sign_in");
      assert.deepEqual(signIn.actor.type, "session");
      assert.ok(signIn.requestId);
      const server = expect(
        await call(s, "GET", "/api/audit?scope=server&action=auth.sign_in_failed", {
          token: OWNER_TOKEN,
        }),
        200,
      ).entries;
      assert.equal(server.length, 1, "the unknown states share one entry per minute");
      assert.ok(server[0].count >= 2);
      assert.equal(server[0].after.reason, "invalid_state");
    });
  } finally {
    s.close();
    await provider.close();
  }
});

Deno.test("[auth] device sign-in with ?access_token= on a page", async (t) => {
  await withServices(async (s) => {
    const kitchen = await deviceToken(s, "kitchen", { label: "pass" });
    let cookie = "";
    await t.step("sets a session cookie and redirects without the parameter", async () => {
      const reply = await call(s, "GET", `/kitchen?station=grill&access_token=${kitchen.token}`);
      assert.equal(reply.status, 303, reply.text);
      assert.equal(reply.headers.get("location"), "/kitchen?station=grill");
      cookie = sessionCookieOf(reply);
      assert.ok(!cookie.includes(kitchen.token));
      const me = expect(await call(s, "GET", "/api/me", { headers: { cookie } }), 200);
      assert.equal(me.role, "kitchen");
      assert.equal(me.via, "session");
      assert.equal(me.location.id, s.location.id);
      expect(await call(s, "GET", "/api/orders?limit=1", { headers: { cookie } }), 200);
      // The redirect's target: the kitchen display, for that station.
      const page = await call(s, "GET", "/kitchen?station=grill", { headers: { cookie } });
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      assert.match(page.text, /<a href="\/kitchen\?station=grill" aria-current="page">grill<\/a>/);
    });
    await t.step("an invalid token sets nothing", async () => {
      const reply = await call(s, "GET", "/kitchen?access_token=forged");
      expect(reply, 401, "invalid_token");
      assertNoCookie(reply);
    });
    await t.step("revoking the token ends its sessions", async () => {
      expect(
        await call(s, "DELETE", `/api/auth/tokens/${kitchen.id}`, { token: OWNER_TOKEN }),
        204,
      );
      expect(await call(s, "GET", "/api/me", { headers: { cookie } }), 401, "session_expired");
    });
    await t.step("the bootstrap token's query parameter is ignored off pages", async () => {
      const reply = await call(s, "GET", `/api/menu?location=demo&access_token=${OWNER_TOKEN}`);
      assert.equal(reply.status, 200);
      assertNoCookie(reply);
    });
    await t.step("the audit log holds the device sign-in", async () => {
      const entries = await auditActions(s, "&action=auth.device_sign_in");
      assert.equal(entries.length, 1);
      assert.deepEqual(entries[0].target, { type: "device_token", id: kitchen.id });
      assert.equal(entries[0].actor.id, kitchen.id);
    });
  });
});

Deno.test("[auth] sign-in not configured", async (t) => {
  await withServices(async (s) => {
    await t.step("the sign-in pages say so", async () => {
      for (const path of ["/auth/signin", "/auth/callback?code=x&state=y"]) {
        const reply = await call(s, "GET", path);
        expect(reply, 404, "sign_in_not_configured");
        assert.match(reply.body.error.message, /not configured/);
        const page = await call(s, "GET", path, { headers: { accept: "text/html" } });
        assert.equal(page.status, 404);
        assert.match(page.text, /Staff sign-in is not configured on this server/);
      }
    });
    await t.step("tokens keep working", async () => {
      const server = await deviceToken(s, "server");
      expect(await call(s, "GET", "/api/tables", { token: server.token }), 200);
      expect(await call(s, "GET", "/api/me", { token: OWNER_TOKEN }), 200);
    });
  });
});

Deno.test("[auth] sign-in attempts are rate limited per address", async () => {
  await withServices(async (s) => {
    for (let i = 0; i < 3; i++) {
      expect(await call(s, "GET", "/auth/signin"), 404, "sign_in_not_configured");
    }
    const limited = await call(s, "GET", "/auth/signin");
    expect(limited, 429, "rate_limited");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    // Another address is not limited by this one.
    const other = await s.app.request("/auth/signin", {}, {
      remoteAddr: { hostname: "192.0.2.7", port: 1, transport: "tcp" },
    });
    assert.equal(other.status, 404);
  }, { SEATSERVE_RATE_LIMIT: "on", SEATSERVE_RATE_SIGN_IN: "3/3" });
});

Deno.test("[auth] over https the cookie is Secure and __Host- prefixed", async () => {
  await withServices(async (s) => {
    // The request's URL is https: this server's own TLS, or the platform's.
    const overHttps = {
      ...s,
      app: {
        request: (path: string, init?: RequestInit) =>
          s.app.request(`https://seatserve.example${path}`, init),
      },
    };
    const kitchen = await deviceToken(s, "kitchen");
    const reply = await call(overHttps, "GET", `/kitchen?access_token=${kitchen.token}`);
    assert.equal(reply.status, 303, reply.text);
    const line = reply.headers.getSetCookie()[0];
    assert.match(
      line,
      /^__Host-seatserve_session=[A-Za-z0-9_-]{40,}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const cookie = line.split(";")[0];
    assert.equal(
      expect(await call(overHttps, "GET", "/api/me", { headers: { cookie } }), 200).role,
      "kitchen",
    );
    // The same server reached over plain http (a LAN address, say) sets the plain cookie, which
    // a browser keeps there; an https public URL does not change that.
    const plain = await call(s, "GET", `/kitchen?access_token=${kitchen.token}`);
    assert.match(
      plain.headers.getSetCookie()[0],
      /^seatserve_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  }, { SEATSERVE_PUBLIC_URL: "https://seatserve.example" });
});

Deno.test("[auth] behind a trusted proxy that terminated TLS the cookie is Secure", async () => {
  await withServices(async (s) => {
    const kitchen = await deviceToken(s, "kitchen");
    const path = `/kitchen?access_token=${kitchen.token}`;
    const proxied = await call(s, "GET", path, { headers: { "x-forwarded-proto": "https" } });
    assert.match(
      proxied.headers.getSetCookie()[0],
      /^__Host-seatserve_session=[^;]+;.*; Secure; SameSite=Lax$/,
    );
    assert.equal(
      proxied.headers.get("strict-transport-security"),
      "max-age=15552000; includeSubDomains",
    );
    const plain = await call(s, "GET", path, { headers: { "x-forwarded-proto": "http" } });
    assert.match(plain.headers.getSetCookie()[0], /^seatserve_session=/);
  }, { SEATSERVE_TRUST_PROXY: "x-real-ip" });
});
