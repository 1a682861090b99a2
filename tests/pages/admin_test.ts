/**
 * The admin pages (routes/pages/admin/, islands/admin/) in Chromium against the real server
 * and a real OpenID provider: signing in with the bootstrap token on the sign-in form and with
 * a staff account through the provider's login form; live orders (also across a server restart);
 * settings (and a conflicting change); tables (add, change, a new QR code that the old guest link no longer opens, remove);
 * the print sheet, whose codes decode to the tables' guest URLs; the staff directory (and a
 * manager refused `owner`); device tokens (the link opens a device session, revoked on the
 * page); the audit log with filters and paging; German; axe-core, sideways scrolling and
 * screenshots at each width; the bundle's size.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { QRCode } from "jsqr";
import jsqrModule from "jsqr";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  call,
  expect,
  freePort,
  type Json,
  placeOrder,
  readTables,
  startMain,
} from "../fixtures.ts";
import { startProvider } from "../auth/oidc_fixture.ts";
import { assertAccessible } from "./axe.ts";
import { eventually, SCREENSHOTS, startBrowser } from "./browser_fixture.ts";
import { decodePng } from "./png.ts";

/** `jsqr` is CommonJS: at run time its default export is the decoder itself. */
const jsQR = ((jsqrModule as { default?: unknown }).default ?? jsqrModule) as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => QRCode | null;

const opts = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "admin-page-owner";
const OWNER_EMAIL = "olga@example.com";

Deno.test("[admin pages] in Chromium", opts, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-admin-page-" });
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const provider = await startProvider({ redirectUrl: `${base}/auth/callback` });
  const env = {
    ...provider.env,
    PORT: String(port),
    SEATSERVE_PUBLIC_URL: base,
    SEATSERVE_KV_PATH: `${dir}/kv`,
    SEATSERVE_BOOTSTRAP_TOKEN: TOKEN,
  };
  let server = await startMain(env);
  const browser: Browser = await startBrowser();
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const api = (method: string, path: string, body?: unknown) =>
    call(server, method, path, { token: TOKEN, ...(body !== undefined ? { body } : {}) });
  const errors: string[] = [];
  const newPage = async (width = 1280, context?: BrowserContext) => {
    context ??= await browser.newContext({ viewport: { width, height: 900 }, locale: "en-GB" });
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(String(error)));
    return { context, page };
  };
  /** A context signed in as the owner (bootstrap token, once), and its page. */
  const owner = async (width = 1280) => {
    const opened = await newPage(width);
    await opened.page.goto(`${base}/admin?access_token=${TOKEN}`);
    await opened.page.waitForSelector(".admin-overview");
    return opened;
  };
  /** Waits for an island's outcome line to say `text`. */
  const outcome = async (page: Page, scope: string, text: RegExp) => {
    await eventually(
      `${scope} says ${text}`,
      async () => text.test(await page.locator(`${scope} .outcome`).first().textContent() ?? ""),
    );
  };
  /** Waits until every island of the page answers (islands/boot.ts marks them). */
  const hydrated = (page: Page) =>
    page.waitForFunction(() => !document.querySelector("[data-island]:not([data-hydrated])"));

  try {
    await t.step("sign in with the bootstrap token on the sign-in form", async () => {
      const { context, page } = await newPage(360);
      const reply = await page.goto(`${base}/admin`);
      assert.equal(reply?.status(), 401);
      await page.screenshot({ path: `${SCREENSHOTS}admin-signin-360.png` });
      await page.fill("#access-token", TOKEN);
      await page.click(".signin button[type=submit]");
      await page.waitForSelector(".admin-overview");
      assert.equal(new URL(page.url()).pathname, "/admin");
      assert.ok(!page.url().includes("access_token"), page.url());
      assert.match(await page.textContent(".staff-top .who") ?? "", /bootstrap \(owner\)/);
      await context.close();
    });

    await t.step("sign in with a staff account through the provider's login form", async () => {
      expect(await api("PUT", `/api/staff/${OWNER_EMAIL}`, { role: "owner", name: "Olga" }), 200);
      const { context, page } = await newPage(1280);
      await page.goto(`${base}/admin/people`);
      await page.click("a.button.primary[href^='/auth/signin']");
      // oidc-provider's own pages: a login form, then a consent form, each submitted.
      await page.waitForSelector("input[name=login]");
      assert.ok(page.url().startsWith(provider.issuer), page.url());
      for (let form = 0; form < 4 && page.url().startsWith(provider.issuer); form++) {
        await page.waitForSelector("button[type=submit]");
        if (await page.locator("input[name=login]").count()) {
          await page.fill("input[name=login]", OWNER_EMAIL);
          await page.fill("input[name=password]", "any");
        }
        await Promise.all([
          page.waitForNavigation({ waitUntil: "domcontentloaded" }),
          page.click("button[type=submit]"),
        ]);
      }
      await page.waitForSelector(".admin-people");
      assert.equal(new URL(page.url()).pathname, "/admin/people");
      assert.match(await page.textContent(".staff-top .who") ?? "", /olga@example\.com \(owner\)/);
      const me = await page.request.get(`${base}/api/me`);
      assert.deepEqual(
        { via: (await me.json()).via, email: (await me.json()).email },
        { via: "session", email: OWNER_EMAIL },
      );
      await context.close();
    });

    const { context: ownerContext, page } = await owner(1280);
    const tables = await readTables(server);

    await t.step("overview: open orders by status, live", async () => {
      await hydrated(page);
      await page.waitForSelector(".connection[data-connection=live]");
      const placed = await placeOrder(server, { tableToken: tables[3].token });
      const row = `.live-status[data-status=pending] li[data-order="${placed.id}"]`;
      await page.waitForSelector(row, { timeout: 5000 });
      assert.match(await page.textContent(row) ?? "", new RegExp(`Table ${tables[3].number}`));
      expect(await api("PATCH", `/api/orders/${placed.id}`, { status: "queued" }), 200);
      await page.waitForSelector(`.live-status[data-status=queued] li[data-order="${placed.id}"]`);
      assert.equal(await page.locator(`li[data-order="${placed.id}"]`).count(), 1);
      expect(await api("PATCH", `/api/orders/${placed.id}`, { status: "cancelled" }), 200);
      await page.waitForSelector(`li[data-order="${placed.id}"]`, { state: "detached" });
      // Server-rendered before any script: a reload without JavaScript shows the open orders.
      const second = await placeOrder(server, { tableToken: tables[4].token });
      const noScript = await browser.newContext({ javaScriptEnabled: false });
      const bare = await noScript.newPage();
      await bare.goto(`${base}/admin?access_token=${TOKEN}`);
      assert.equal(await bare.locator(`li[data-order="${second.id}"]`).count(), 1);
      await noScript.close();
      expect(await api("PATCH", `/api/orders/${second.id}`, { status: "cancelled" }), 200);
    });

    await t.step("overview: settings saved are what GET /api/settings returns", async () => {
      await page.check("#setting-autoAccept");
      await page.fill("#setting-maxOpenOrders", "7");
      await page.fill("#setting-pausedMessage", "Kitchen closed for a moment.");
      await page.fill("#setting-ticketWarnMinutes", "6");
      await page.click(".settings button[type=submit]");
      await outcome(page, ".settings", /^Saved\.$/);
      const saved = expect(await api("GET", "/api/settings"), 200);
      assert.deepEqual(saved, {
        autoAccept: true,
        maxOpenOrders: 7,
        orderingPaused: false,
        pausedMessage: "Kitchen closed for a moment.",
        ticketWarnMinutes: 6,
        ticketLateMinutes: 20,
      });
      // A bad value: the server's 422 shown, nothing changed.
      {
        await page.fill("#setting-ticketWarnMinutes", "50");
        await page.click(".settings button[type=submit]");
        await outcome(page, ".settings", /^Not saved: .*warning age/);
        assert.equal(expect(await api("GET", "/api/settings"), 200).ticketWarnMinutes, 6);
        await page.fill("#setting-ticketWarnMinutes", "6");
      }
      // A change made elsewhere meanwhile: a conflict, shown beside the field.
      {
        expect(await api("PATCH", "/api/settings", { ticketLateMinutes: 30 }), 200);
        await page.fill("#setting-ticketLateMinutes", "25");
        await page.click(".settings button[type=submit]");
        await outcome(page, ".settings", /Someone else changed .*red after/);
        assert.match(await page.textContent("#ticketLateMinutes-theirs") ?? "", /Now saved: 30/);
        assert.equal(expect(await api("GET", "/api/settings"), 200).ticketLateMinutes, 30);
        await page.screenshot({ path: `${SCREENSHOTS}admin-settings-conflict-1280.png` });
        await page.click(".settings button[type=submit]");
        await outcome(page, ".settings", /^Saved\.$/);
        assert.equal(expect(await api("GET", "/api/settings"), 200).ticketLateMinutes, 25);
      }
      await page.uncheck("#setting-autoAccept");
      await page.click(".settings button[type=submit]");
      await outcome(page, ".settings", /^Saved\.$/);
      assert.equal(expect(await api("GET", "/api/settings"), 200).autoAccept, false);
    });

    await t.step("tables: add, change, remove", async () => {
      await page.goto(`${base}/admin/tables`);
      await hydrated(page);
      assert.equal(await page.locator(".table-card").count(), tables.length);
      await page.fill("#new-table-number", "99");
      await page.fill("#new-table-seats", "3");
      await page.click(".add-table button[type=submit]");
      await outcome(page, ".admin-tables", /Table 99 added/);
      const added = (await readTables(server)).find((x) => x.number === 99)!;
      assert.deepEqual({ seats: added.seats, status: added.status }, {
        seats: 3,
        status: "available",
      });
      const card = `.table-card[data-table="${added.id}"]`;
      await page.fill(`${card} input[name=seats]`, "6");
      await page.selectOption(`${card} select[name=status]`, "reserved");
      await page.click(`${card} .edit-table button`);
      await outcome(page, ".admin-tables", /Table 99 saved/);
      const changed = expect(await api("GET", "/api/tables"), 200).tables
        .find((x: Json) => x.id === added.id);
      assert.deepEqual({ seats: changed.seats, status: changed.status }, {
        seats: 6,
        status: "reserved",
      });
      await page.click(`${card} button.remove`);
      await page.click(`${card} .confirm button.danger`);
      await page.waitForSelector(card, { state: "detached" });
      assert.ok(!(await readTables(server)).some((x: Json) => x.id === added.id));
    });

    await t.step("tables: a new QR code; the old guest link stops, the new one opens", async () => {
      const table = tables[0];
      const card = `.table-card[data-table="${table.id}"]`;
      await page.click(`${card} button.rotate`);
      assert.match(await page.textContent(`${card} .confirm`) ?? "", /printed code stops working/);
      // The confirmation takes the focus, so the keyboard answers it.
      await page.waitForFunction(() => document.activeElement?.matches(".confirm button.danger"));
      await page.keyboard.press("Escape");
      await page.waitForSelector(`${card} .confirm`, { state: "detached" });
      // Cancelled: the focus is back on the button that asked.
      await page.waitForFunction(
        (selector) => document.activeElement === document.querySelector(selector),
        `${card} button.rotate`,
      );
      assert.equal((await readTables(server))[0].token, table.token, "cancel changes nothing");
      await page.click(`${card} button.rotate`);
      await page.click(`${card} .confirm button.danger`);
      await outcome(page, ".admin-tables", /new QR code/);
      const rotated = (await readTables(server)).find((x) => x.id === table.id)!;
      assert.notEqual(rotated.token, table.token);
      assert.equal(await page.getAttribute(`${card} .guest-url a`, "href"), rotated.qrUrl);
      await page.waitForFunction(
        (img) => (document.querySelector(img) as HTMLImageElement)?.naturalWidth > 0,
        `${card} img.qr`,
      );
      const guest = await browser.newPage();
      const old = await guest.goto(table.qrUrl);
      assert.equal(old?.status(), 404);
      assert.match(await guest.textContent("h1") ?? "", /table|Tisch/i);
      assert.equal(await guest.locator(".guest").count(), 0);
      const fresh = await guest.goto(rotated.qrUrl);
      assert.equal(fresh?.status(), 200);
      await guest.waitForSelector("[data-island] .guest");
      await guest.close();
      tables[0] = rotated;
    });

    await t.step("print sheet: every table's code, each decoding to its guest URL", async () => {
      const now = await readTables(server);
      await page.goto(`${base}/admin/tables/print`);
      assert.equal(await page.locator(".staff-top, .admin-nav").count(), 0, "no navigation");
      assert.equal(await page.locator(".print-card").count(), now.length);
      for (const table of now) {
        const code = page.locator(`.print-card[data-table="${table.id}"] .code svg`);
        const image = decodePng(new Uint8Array(await code.screenshot()));
        const read = jsQR(image.data, image.width, image.height);
        assert.equal(read?.data, table.qrUrl, `table ${table.number}`);
        const box = await code.boundingBox();
        assert.ok(box && box.width >= 150, `table ${table.number}'s code is ${box?.width} px`);
      }
      await page.emulateMedia({ media: "print" });
      assert.equal(await page.locator(".print-head").isVisible(), false);
      // As printed on A4 (the page's own @page size): kept with the screenshots.
      const pdf = await page.pdf({ preferCSSPageSize: true });
      await page.emulateMedia({ media: null });
      await Deno.writeFile(`${SCREENSHOTS}admin-print-a4.pdf`, pdf);
      const pages = new TextDecoder("latin1").decode(pdf).match(/\/Type\s*\/Page\b/g) ?? [];
      assert.equal(pages.length, Math.ceil(now.length / 12), "twelve cards an A4 page");
    });

    let kitchenLink = "";
    let kitchenTokenId = "";
    await t.step("people: staff added, changed and removed are what /api/staff holds", async () => {
      await page.goto(`${base}/admin/people`);
      await hydrated(page);
      await page.fill("#person-email", "Ana@Example.com");
      await page.fill("#person-name", "Ana");
      await page.selectOption("#person-role", "server");
      await page.click(".add-person button[type=submit]");
      await outcome(page, ".staff-directory", /ana@example\.com added as server/);
      const staffOf = async () =>
        expect(await api("GET", "/api/staff"), 200).staff.map((x: Json) => [x.email, x.role]);
      assert.deepEqual(await staffOf(), [["ana@example.com", "server"], [OWNER_EMAIL, "owner"]]);
      const row = `.people li[data-email="ana@example.com"]`;
      await page.selectOption(`${row} select`, "manager");
      await page.click(`${row} .change-role button`);
      await outcome(page, ".staff-directory", /ana@example\.com is now manager/);
      assert.deepEqual(await staffOf(), [["ana@example.com", "manager"], [OWNER_EMAIL, "owner"]]);
      await page.fill("#person-email", "ben@example.com");
      await page.click(".add-person button[type=submit]");
      await outcome(page, ".staff-directory", /ben@example\.com added/);
      await page.click(`.people li[data-email="ben@example.com"] button.remove`);
      await page.click(`.people li[data-email="ben@example.com"] .confirm button.danger`);
      await outcome(page, ".staff-directory", /ben@example\.com removed/);
      assert.deepEqual(await staffOf(), [["ana@example.com", "manager"], [OWNER_EMAIL, "owner"]]);
    });

    await t.step("people: a device token, shown once with its link and QR code", async () => {
      await page.selectOption("#device-role", "kitchen");
      await page.fill("#device-label", "Grill screen");
      await page.selectOption("#device-days", "1");
      await page.click(".new-device button[type=submit]");
      await page.waitForSelector(".created-token");
      kitchenLink = await page.inputValue("#created-link");
      const token = await page.inputValue("#created-token");
      assert.equal(kitchenLink, `${base}/kitchen?access_token=${encodeURIComponent(token)}`);
      const qr = page.locator(".created-token .qr svg");
      const image = decodePng(new Uint8Array(await qr.screenshot()));
      assert.equal(jsQR(image.data, image.width, image.height)?.data, kitchenLink);
      await page.screenshot({ path: `${SCREENSHOTS}admin-device-token-1280.png`, fullPage: true });
      const listed = expect(await api("GET", "/api/auth/tokens"), 200).tokens
        .find((x: Json) => x.label === "Grill screen");
      assert.equal(listed.role, "kitchen");
      const ttl = Date.parse(listed.expiresAt) - Date.parse(listed.createdAt);
      assert.equal(ttl, 24 * 60 * 60 * 1000);
      kitchenTokenId = listed.id;
      await page.waitForSelector(`.devices li[data-token="${listed.id}"]`);
      await page.click(".created-token button");
      await page.waitForSelector(".created-token", { state: "detached" });
      // Shown once: a reload lists the token but never its secret.
      await page.reload();
      assert.ok(!(await page.content()).includes(token));
    });

    await t.step(
      "the device link opens a kitchen session; revoked on the page, refused",
      async () => {
        const { context: tablet, page: screen } = await newPage(1280);
        const opened = await screen.goto(kitchenLink);
        // The kitchen page is the ops engineer's: here only that this is not the sign-in page.
        assert.notEqual(opened?.status(), 401);
        assert.equal(new URL(screen.url()).pathname, "/kitchen");
        assert.ok(!screen.url().includes("access_token"));
        const me = await (await screen.request.get(`${base}/api/me`)).json();
        assert.deepEqual({ role: me.role, slug: me.location.slug }, {
          role: "kitchen",
          slug: "demo",
        });
        const row = `.devices li[data-token="${kitchenTokenId}"]`;
        await hydrated(page);
        await page.click(`${row} button.remove`);
        await page.click(`${row} .confirm button.danger`);
        await outcome(page, ".device-tokens", /Grill screen revoked/);
        assert.ok(
          !expect(await api("GET", "/api/auth/tokens"), 200).tokens.some((x: Json) =>
            x.id === kitchenTokenId
          ),
        );
        assert.equal((await screen.request.get(`${base}/api/me`)).status(), 401);
        const again = await screen.goto(kitchenLink);
        assert.equal(again?.status(), 401);
        await tablet.close();
      },
    );

    await t.step("people: a manager is not offered owner; the server's 403 shown", async () => {
      const issued = expect(
        await api("POST", "/api/auth/tokens", { role: "manager", label: "Office" }),
        201,
      );
      const { context, page: desk } = await newPage(1280);
      await desk.goto(`${base}/admin/people?access_token=${issued.token}`);
      await hydrated(desk);
      const offered = await desk.locator("#person-role option").evaluateAll((options) =>
        options.map((o) => (o as HTMLOptionElement).value)
      );
      assert.deepEqual(offered, ["manager", "server", "kitchen"]);
      assert.ok(
        await desk.locator(`.people li[data-email="${OWNER_EMAIL}"] select`).isDisabled(),
        "an owner's row cannot be changed by a manager",
      );
      // Forced anyway: the server refuses, and the page says so.
      await desk.evaluate(() => {
        const option = document.createElement("option");
        option.value = "owner";
        option.textContent = "owner";
        document.querySelector("#person-role")!.append(option);
      });
      await desk.fill("#person-email", "eve@example.com");
      await desk.selectOption("#person-role", "owner");
      await desk.click(".add-person button[type=submit]");
      await outcome(desk, ".staff-directory", /^Not saved: .*owner/);
      assert.ok(
        !expect(await api("GET", "/api/staff"), 200).staff.some((x: Json) =>
          x.email === "eve@example.com"
        ),
      );
      await context.close();
    });

    await t.step("audit: the changes with their actor, filtered, older pages", async () => {
      await page.goto(`${base}/admin/audit`);
      await page.selectOption("#audit-action", "staff");
      await page.click(".audit-filters button[type=submit]");
      await page.waitForURL(/action=staff/);
      const entries = await page.locator(".audit-entry").evaluateAll((items) =>
        items.map((li) => ({
          action: (li as HTMLElement).dataset.action,
          actor: li.querySelector(".actor")?.getAttribute("data-actor"),
          target: li.querySelector(".target code")?.textContent,
          diff: [...li.querySelectorAll(".audit-diff tbody tr")].map((tr) =>
            [...tr.children].map((cell) => cell.textContent)
          ),
        }))
      );
      // Newest first: Ben removed, Ben added, Ana changed, Ana added, Olga added (by the API).
      assert.deepEqual(
        entries.map((e) => [e.action, e.actor, e.target]),
        [
          ["staff.remove", "bootstrap", "ben@example.com"],
          ["staff.add", "bootstrap", "ben@example.com"],
          ["staff.update", "bootstrap", "ana@example.com"],
          ["staff.add", "bootstrap", "ana@example.com"],
          ["staff.add", "bootstrap", OWNER_EMAIL],
        ],
      );
      assert.deepEqual(entries[2].diff, [["role", "server", "manager"]]);
      assert.deepEqual(entries[3].diff.find((row) => row[0] === "role"), ["role", "—", "server"]);
      await page.fill("#audit-actor", OWNER_EMAIL);
      await page.selectOption("#audit-action", "");
      await page.click(".audit-filters button[type=submit]");
      await page.waitForURL(/actor=/);
      const byOlga = await page.locator(".audit-entry").evaluateAll((items) =>
        items.map((li) => (li as HTMLElement).dataset.action)
      );
      assert.ok(byOlga.length >= 1 && byOlga.every((a) => a?.startsWith("auth.")), `${byOlga}`);
      // More entries than a page: "older" continues where the page ended, without overlap.
      for (let i = 0; i < 55; i++) {
        expect(await api("PATCH", `/api/tables/${tables[1].id}`, { seats: 2 + (i % 5) }), 200);
      }
      await page.goto(`${base}/admin/audit?action=table.update`);
      const first = await page.locator(".audit-entry").evaluateAll((items) =>
        items.map((li) => (li as HTMLElement).dataset.entry)
      );
      assert.equal(first.length, 50);
      await page.click("a.older");
      await page.waitForURL(/cursor=/);
      const second = await page.locator(".audit-entry").evaluateAll((items) =>
        items.map((li) => (li as HTMLElement).dataset.entry)
      );
      assert.ok(second.length >= 5, `${second.length} older entries`);
      assert.deepEqual(first.filter((id) => second.includes(id)), []);
      assert.ok(first.at(-1)! > second[0]!, "older entries come after");
    });

    await t.step(
      "overview: the server restarts; the list says so, reconnects, misses nothing",
      async () => {
        await page.goto(`${base}/admin`);
        await hydrated(page);
        await page.waitForSelector(".connection[data-connection=live]");
        const before = await placeOrder(server, { tableToken: tables[7].token });
        await page.waitForSelector(`li[data-order="${before.id}"]`);
        await server.stop();
        await page.waitForSelector(".connection[data-connection=reconnecting]");
        assert.match(await page.textContent(".connection") ?? "", /reconnecting/);
        server = await startMain(env);
        // Placed before the page is back: it arrives by the replay after Last-Event-ID.
        const during = await placeOrder(server, { tableToken: tables[8].token });
        await page.waitForSelector(".connection[data-connection=live]", { timeout: 15_000 });
        await page.waitForSelector(`li[data-order="${during.id}"]`);
        expect(await api("PATCH", `/api/orders/${before.id}`, { status: "queued" }), 200);
        await page.waitForSelector(
          `.live-status[data-status=queued] li[data-order="${before.id}"]`,
        );
        for (const order of [before, during]) {
          assert.equal(await page.locator(`li[data-order="${order.id}"]`).count(), 1, order.id);
          expect(await api("PATCH", `/api/orders/${order.id}`, { status: "cancelled" }), 200);
        }
      },
    );

    await t.step("German by ?lang=de", async () => {
      await page.goto(`${base}/admin/tables?lang=de`);
      assert.equal(await page.getAttribute("html", "lang"), "de");
      assert.match(await page.textContent(".admin-title") ?? "", /Tische & QR-Codes/);
      assert.match(await page.textContent(".add-table legend") ?? "", /Tisch hinzufügen/);
      await hydrated(page);
      assert.match(await page.textContent(".add-table legend") ?? "", /Tisch hinzufügen/);
    });

    const PAGES = [
      ["overview", "/admin"],
      ["tables", "/admin/tables"],
      ["print", "/admin/tables/print"],
      ["people", "/admin/people"],
      ["audit", "/admin/audit"],
    ] as const;
    await t.step("axe-core at 360 and 1920 px; no sideways scrolling; screenshots", async () => {
      // Something to show on the overview.
      const shown = [
        await placeOrder(server, { tableToken: tables[5].token }),
        await placeOrder(server, { tableToken: tables[6].token }),
      ];
      expect(await api("PATCH", `/api/orders/${shown[1].id}`, { status: "queued" }), 200);
      for (const width of [360, 1280, 1920]) {
        const { context, page: view } = await owner(width);
        for (const [name, path] of PAGES) {
          await view.goto(`${base}${path}`);
          await hydrated(view);
          if (width !== 1280) await assertAccessible(view, `${name} at ${width} px`);
          const overflow = await view.evaluate(() =>
            document.documentElement.scrollWidth - document.documentElement.clientWidth
          );
          assert.equal(overflow, 0, `no sideways scrolling on ${name} at ${width} px`);
          if (width !== 1920) {
            await view.screenshot({
              path: `${SCREENSHOTS}admin-${name}-${width}.png`,
              // The audit log is long: its first screen says how it looks.
              fullPage: name !== "audit",
            });
          }
        }
        await context.close();
      }
      assert.deepEqual(errors, []);
    });

    await t.step("the admin bundle: cached a year, gzipped size printed", async () => {
      const html = await (await page.request.get(`${base}/admin`)).text();
      const script = /src="(\/assets\/admin-[A-Z0-9]+\.js)"/.exec(html)![1];
      const reply = await fetch(`${base}${script}`);
      assert.equal(reply.headers.get("cache-control"), "public, max-age=31536000, immutable");
      const body = new Uint8Array(await reply.arrayBuffer());
      // With the chunks it imports (Preact, the typed client), as a first visit loads them.
      const chunks = [
        ...new TextDecoder().decode(body).matchAll(/from"\.\/(chunk-[A-Z0-9]+\.js)"/g),
      ]
        .map((m) => m[1]);
      let total = gzipSync(body, { level: 9 }).length;
      for (const chunk of chunks) {
        const bytes = new Uint8Array(await (await fetch(`${base}/assets/${chunk}`)).arrayBuffer());
        total += gzipSync(bytes, { level: 9 }).length;
      }
      console.log(
        `admin bundle: ${gzipSync(body, { level: 9 }).length} bytes gzipped, ` +
          `${total} with its ${chunks.length} chunk(s)`,
      );
      assert.ok(total < 40 * 1024, `admin JS ${total} bytes gzipped`);
    });
    await ownerContext.close();
  } finally {
    await browser.close();
    await server.stop();
    await provider.close();
    await Deno.remove(dir, { recursive: true });
  }
});
