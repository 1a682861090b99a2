/**
 * The admin pages' routes without a browser (routes/pages/admin.ts): who may open them, the
 * server-rendered state, the device-link route refusing what it must (no session, no CSRF
 * token, a bad body, a token that is not a live device token of this location), the audit
 * page's hostile query parameters, German.
 */
import assert from "node:assert/strict";
import { ADMIN_SECTIONS } from "../../lib/pages/staff_pages.ts";
import {
  addLocation,
  call,
  deviceToken,
  expect,
  OWNER_TOKEN,
  readTables,
  withServices,
} from "../fixtures.ts";
import { sessionCookieOf } from "../auth/oidc_fixture.ts";

const html = { accept: "text/html" };
const MINE = ["/admin", "/admin/tables", "/admin/tables/print", "/admin/people", "/admin/audit"];

Deno.test("[pages] admin routes", async (t) => {
  await withServices(async (s) => {
    const open = async (token: string) => {
      const cookie = sessionCookieOf(await call(s, "GET", `/admin?access_token=${token}`));
      const me = expect(await call(s, "GET", "/api/me", { headers: { cookie } }), 200);
      return { cookie, csrf: me.csrfToken as string };
    };
    const owner = await open(OWNER_TOKEN);
    const page = (path: string, headers: Record<string, string> = {}) =>
      call(s, "GET", path, { headers: { ...html, cookie: owner.cookie, ...headers } });
    const link = (body: unknown, headers: Record<string, string> = {}) =>
      call(s, "POST", "/admin/people/device-link", {
        headers: {
          cookie: owner.cookie,
          "x-csrf-token": owner.csrf,
          "content-type": "application/json",
          ...headers,
        },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });

    await t.step("every section of ours is a page behind the admin guard", async () => {
      for (const path of MINE) {
        assert.ok(
          path.endsWith("/print") || ADMIN_SECTIONS.some((section) => section.path === path),
          path,
        );
        const signedOut = await call(s, "GET", path, { headers: html });
        assert.equal(signedOut.status, 401, path);
        assert.match(signedOut.text, /name="access_token"/);
        const reply = await page(path);
        assert.equal(reply.status, 200, path);
        assert.match(reply.headers.get("content-security-policy") ?? "", /script-src 'self'/);
        assert.equal(reply.headers.get("cache-control"), "private, no-cache");
      }
      const kitchen = await open((await deviceToken(s, "kitchen")).token);
      const refused = await call(s, "GET", "/admin/people", {
        headers: { ...html, cookie: kitchen.cookie },
      });
      assert.equal(refused.status, 403);
      assert.match(refused.text, /Not for your role/);
    });

    await t.step("server-rendered: tables, their codes and the print sheet", async () => {
      const tables = await readTables(s);
      const tablesPage = (await page("/admin/tables")).text;
      for (const table of tables) {
        assert.ok(tablesPage.includes(`href="${table.qrUrl}"`), `table ${table.number}`);
        assert.ok(tablesPage.includes(`/api/tables/${table.id}/qr.svg?v=`));
      }
      const sheet = (await page("/admin/tables/print")).text;
      assert.equal(sheet.match(/<svg /g)?.length, tables.length);
      assert.doesNotMatch(sheet, /<script/);
      assert.doesNotMatch(sheet, /class="admin-nav"/);
      // The very SVG the API draws for that table.
      const svg = await call(s, "GET", `/api/tables/${tables[0].id}/qr.svg`, {
        token: OWNER_TOKEN,
      });
      assert.ok(sheet.includes(svg.text.trim()), "the sheet holds the API's SVG");
    });

    await t.step("device link: a live device token of this location only", async () => {
      const kitchen = await deviceToken(s, "kitchen", { label: "pass" });
      const made = expect(await link({ token: kitchen.token }), 200);
      assert.equal(
        made.url,
        `${s.config.publicUrl}/kitchen?access_token=${encodeURIComponent(kitchen.token)}`,
      );
      assert.match(made.svg, /^<svg [^>]*viewBox/);
      assert.doesNotMatch(made.svg, /<script|style=/);
      const server = await deviceToken(s, "server");
      assert.match(expect(await link({ token: server.token }), 200).url, /\/floor\?access_token=/);
      const manager = await deviceToken(s, "manager");
      assert.match(expect(await link({ token: manager.token }), 200).url, /\/admin\?access_token=/);

      expect(await link({ token: "not-a-token" }), 422);
      expect(await link({ token: OWNER_TOKEN }), 422);
      const other = await addLocation(s, { slug: "elsewhere", name: "Elsewhere", currency: "EUR" });
      const theirs = await deviceToken(s, "kitchen", { locationId: other.id });
      expect(await link({ token: theirs.token }), 422);
      expect(
        await call(s, "DELETE", `/api/auth/tokens/${kitchen.id}`, { token: OWNER_TOKEN }),
        204,
      );
      expect(await link({ token: kitchen.token }), 422);
      expect(await link({}), 422);
      expect(await link({ token: server.token, more: 1 }), 422);
      expect(await link("{not json"), 422);
      expect(await link({ token: "x".repeat(10_000) }), 413);
      expect(await link({ token: server.token }, { "content-type": "text/plain" }), 415);
      expect(await link({ token: server.token }, { "x-csrf-token": "wrong" }), 403, "csrf_failed");
      const anonymous = await call(s, "POST", "/admin/people/device-link", {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: server.token }),
      });
      assert.equal(anonymous.status, 401);
    });

    await t.step("audit page: hostile filters are shown escaped, never a 500", async () => {
      expect(
        await call(s, "PUT", "/api/staff/ana@example.com", {
          token: OWNER_TOKEN,
          body: { role: "server" },
        }),
        200,
      );
      const filtered = await page("/admin/audit?action=staff&actor=bootstrap");
      assert.equal(filtered.status, 200);
      assert.match(filtered.text, /data-action="staff.add"/);
      assert.doesNotMatch(filtered.text, /data-action="auth\./);
      for (
        const query of [
          "action=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
          `cursor=${"z".repeat(500)}`,
          "cursor=%00%01",
          `actor=${"a".repeat(300)}`,
          "action=&actor=&cursor=",
        ]
      ) {
        const reply = await page(`/admin/audit?${query}`);
        assert.equal(reply.status, 200, query);
        assert.doesNotMatch(reply.text, /<script>alert/);
      }
    });

    await t.step("in German", async () => {
      const reply = await page("/admin/people", { "accept-language": "de" });
      assert.match(reply.text, /<html lang="de">/);
      assert.match(reply.text, /Personalverzeichnis/);
      assert.match((await page("/admin/audit?lang=de")).text, /Alle Aktionen/);
    });
  });
});
