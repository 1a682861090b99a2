/**
 * The staff pages' guard (routes/pages/staff_page.tsx) on the real application: a sign-in page
 * without a session, the device-token form and the bootstrap token opening a session, a page
 * refused to the wrong role, an ended session, and signing out from a page's form.
 */
import assert from "node:assert/strict";
import { STAFF_PAGES } from "../../lib/pages/staff_pages.ts";
import { staffPage, staffSession } from "../../routes/pages/staff_page.tsx";
import { call, deviceToken, expect, OWNER_TOKEN, withServices } from "../fixtures.ts";
import { sessionCookieOf } from "../auth/oidc_fixture.ts";

const [kitchenPage, , adminPage] = STAFF_PAGES;
const html = { accept: "text/html" };

Deno.test("[pages] the staff pages' guard", async (t) => {
  await withServices(async (s) => {
    // Probe pages behind the guard, answering who they see.
    s.app.get("/probe-kitchen", staffPage(kitchenPage), (c) => c.json(staffSession(c)));
    s.app.get("/probe-admin", staffPage(adminPage), (c) => c.json(staffSession(c)));

    await t.step("without a session: a sign-in page with the device-token form", async () => {
      const reply = await call(s, "GET", "/probe-kitchen?station=bar", { headers: html });
      assert.equal(reply.status, 401);
      assert.match(reply.headers.get("content-type") ?? "", /text\/html/);
      assert.match(reply.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      assert.match(reply.text, /<form method="get" action="\/probe-kitchen">/);
      assert.match(reply.text, /<input type="hidden" name="station" value="bar"\/>/);
      assert.match(reply.text, /name="access_token" type="password"/);
      // No OIDC on this server: no account sign-in link.
      assert.doesNotMatch(reply.text, /\/auth\/signin\?/);
    });

    await t.step("in German by Accept-Language", async () => {
      const reply = await call(s, "GET", "/probe-kitchen", {
        headers: { ...html, "accept-language": "de-DE,de;q=0.9" },
      });
      assert.match(reply.text, /<html lang="de">/);
      assert.match(reply.text, /Geräte- oder Bootstrap-Token/);
    });

    let kitchenCookie = "";
    await t.step("a device token opens a session; the page sees its role", async () => {
      const kitchen = await deviceToken(s, "kitchen", { label: "pass screen" });
      const opened = await call(
        s,
        "GET",
        `/probe-kitchen?station=bar&access_token=${kitchen.token}`,
      );
      assert.equal(opened.status, 303);
      assert.equal(opened.headers.get("location"), "/probe-kitchen?station=bar");
      kitchenCookie = sessionCookieOf(opened);
      const page = expect(
        await call(s, "GET", "/probe-kitchen?station=bar", { headers: { cookie: kitchenCookie } }),
        200,
      );
      assert.equal(page.role, "kitchen");
      assert.equal(page.who, "pass screen");
      assert.equal(page.location.slug, "demo");
      assert.equal(page.lang, "en");
      assert.equal(typeof page.csrfToken, "string");
      assert.ok(page.csrfToken.length >= 20);
    });

    await t.step("the wrong role: a page saying so, pointing at its own page", async () => {
      const reply = await call(s, "GET", "/probe-admin", {
        headers: { ...html, cookie: kitchenCookie },
      });
      assert.equal(reply.status, 403);
      assert.match(reply.text, /Not for your role/);
      assert.match(reply.text, /href="\/kitchen"/);
    });

    await t.step("the bootstrap token opens an owner session for one location", async () => {
      const opened = await call(s, "GET", `/probe-admin?access_token=${OWNER_TOKEN}`);
      assert.equal(opened.status, 303);
      const cookie = sessionCookieOf(opened);
      const page = expect(await call(s, "GET", "/probe-admin", { headers: { cookie } }), 200);
      assert.equal(page.role, "owner");
      assert.equal(page.location.id, s.location.id);
      const me = expect(await call(s, "GET", "/api/me", { headers: { cookie } }), 200);
      assert.equal(me.via, "session");
      assert.equal(me.role, "owner");
      const audit = expect(
        await call(s, "GET", "/api/audit?action=auth.device_sign_in", { token: OWNER_TOKEN }),
        200,
      );
      assert.ok(
        audit.entries.some((e: { target: { type: string } }) => e.target.type === "bootstrap"),
      );
    });

    await t.step("a wrong token on the form: refused, no session", async () => {
      const reply = await call(s, "GET", "/probe-admin?access_token=guess", { headers: html });
      assert.equal(reply.status, 401);
      assert.equal(reply.headers.getSetCookie().length, 0);
    });

    await t.step("signing out from the page's form comes back to the page", async () => {
      const page = expect(
        await call(s, "GET", "/probe-kitchen", { headers: { cookie: kitchenCookie } }),
        200,
      );
      const out = await call(s, "POST", "/auth/signout", {
        headers: {
          cookie: kitchenCookie,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ csrfToken: page.csrfToken, next: "/probe-kitchen" })
          .toString(),
      });
      assert.equal(out.status, 303);
      assert.equal(out.headers.get("location"), "/probe-kitchen");
      const after = await call(s, "GET", "/probe-kitchen", {
        headers: { ...html, cookie: kitchenCookie },
      });
      assert.equal(after.status, 401);
      assert.match(after.text, /Your session has ended/);
    });

    await t.step("a sign-out form without the CSRF token changes nothing", async () => {
      const kitchen = await deviceToken(s, "kitchen");
      const cookie = sessionCookieOf(
        await call(s, "GET", `/probe-kitchen?access_token=${kitchen.token}`),
      );
      const out = await call(s, "POST", "/auth/signout", {
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: "next=%2Fprobe-kitchen",
      });
      expect(out, 403, "csrf_failed");
      expect(await call(s, "GET", "/probe-kitchen", { headers: { cookie } }), 200);
    });
  });
});
