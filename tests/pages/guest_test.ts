/**
 * The guest page (`/t/<table token>`, routes/pages/guest.tsx and islands/guest_page.tsx) in
 * Chromium against the real server: ordering with options and a note at 360 px, the live
 * tracker, one order for a double tap and for a retry after a lost answer, an item 86'd while
 * the page is open, the page without scripts, languages, the friendly page for a bad token, and
 * the assets' caching and size.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { Browser } from "playwright-core";
import { call, expect, type Json, readMenu, readTables, startMain } from "../fixtures.ts";
import { assertAccessible } from "./axe.ts";
import { eventually, SCREENSHOTS, startBrowser } from "./browser_fixture.ts";
import { addItem, openGuest } from "./guest_steps.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "guest-page-owner";

Deno.test("[guest page] in Chromium", opts, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-guest-page-" });
  const server = await startMain({
    SEATSERVE_KV_PATH: `${dir}/kv`,
    SEATSERVE_BOOTSTRAP_TOKEN: TOKEN,
    SEATSERVE_RATE_LIMIT: "off",
  });
  const browser: Browser = await startBrowser();
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const tables = await readTables(server);
  const menu = await readMenu(server);
  const orders = async (tableId: string) => {
    const reply = await call(server, "GET", `/api/orders?table=${tableId}`, { token: TOKEN });
    return expect(reply, 200).orders as Json[];
  };
  const open = (tableToken: string, options: { width?: number; lang?: string } = {}) =>
    openGuest(browser, server.base, tableToken, options);

  const withOptions = menu.items.find((i: Json) =>
    i.available && i.optionGroups.some((g: Json) => g.min >= 1) &&
    i.optionGroups.every((g: Json) => g.options.filter((o: Json) => o.available).length >= g.min)
  );
  const plain = menu.items.find((i: Json) => i.available && i.optionGroups.length === 0);

  try {
    await t.step(
      "360 px: two items, one with options and a note; the tracker follows",
      async () => {
        const table = tables[0];
        const { page, errors, close } = await open(table.token);
        await addItem(page, withOptions.id, { note: "no onions, please" });
        await addItem(page, plain.id, { quantity: 2 });
        await page.click(".cart-bar");
        await page.screenshot({ path: `${SCREENSHOTS}guest-cart-360.png` });
        await page.click("button.place");
        await page.waitForSelector(".order .status");
        const [order] = await orders(table.id);
        assert.ok(order, "the order is in the store");
        const required = withOptions.optionGroups.filter((g: Json) => g.min >= 1);
        const line = order.items.find((l: Json) => l.menuItemId === withOptions.id);
        assert.equal(line.note, "no onions, please");
        assert.equal(line.quantity, 1);
        assert.deepEqual(
          line.options.map((o: Json) => o.groupId),
          required.flatMap((g: Json) => Array(g.min).fill(g.id)),
        );
        const expectedUnit = withOptions.priceCents +
          line.options.reduce((n: number, o: Json) => n + o.priceDeltaCents, 0);
        assert.equal(line.unitPriceCents, expectedUnit);
        const second = order.items.find((l: Json) => l.menuItemId === plain.id);
        assert.equal(second.quantity, 2);
        assert.equal(order.totalCents, expectedUnit + 2 * plain.priceCents);
        assert.match(await page.textContent(".order .status") ?? "", /waiting for the restaurant/);
        // The kitchen moves it on; the tracker shows it without a reload.
        for (const status of ["queued", "preparing", "ready"]) {
          const moved = await call(server, "PATCH", `/api/orders/${order.id}`, {
            token: TOKEN,
            body: { status },
          });
          expect(moved, 200);
        }
        await page.waitForFunction(() =>
          document.querySelector(".order .status")?.textContent?.includes("Ready")
        );
        await page.screenshot({ path: `${SCREENSHOTS}guest-tracker-360.png`, fullPage: true });
        // A reload keeps following the order placed from this phone.
        await page.reload();
        await page.waitForFunction(() =>
          document.querySelector(".order .status")?.textContent?.includes("Ready")
        );
        assert.deepEqual(errors, []);
        await close();
      },
    );

    await t.step("the table's bill, and asking for it", async () => {
      const table = tables[0];
      const { page, errors, close } = await open(table.token);
      const placed = await orders(table.id);
      const expected = placed.filter((o) => o.status !== "cancelled")
        .reduce((n, o) => n + o.totalCents, 0);
      await page.waitForSelector("[data-bill-total]");
      assert.equal(
        Number(await page.getAttribute("[data-bill-total]", "data-bill-total")),
        expected,
      );
      await page.click('.help button:has-text("Ask for the bill")');
      await page.waitForSelector(".help-status");
      assert.match(await page.textContent(".help-status") ?? "", /on the way/);
      const requests = expect(
        await call(server, "GET", "/api/service-requests?open=true", { token: TOKEN }),
        200,
      );
      const asked = requests.requests.filter(
        (r: Json) => r.tableId === table.id,
      );
      assert.deepEqual(asked.map((r: Json) => r.kind), ["bill"]);
      await page.screenshot({ path: `${SCREENSHOTS}guest-bill-360.png`, fullPage: true });
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("a double tap places one order", async () => {
      const table = tables[1];
      const { page, close } = await open(table.token);
      await addItem(page, plain.id);
      await page.click(".cart-bar");
      await page.dblclick("button.place");
      await page.waitForSelector(".order .status");
      await page.waitForTimeout(300);
      assert.equal((await orders(table.id)).length, 1);
      await close();
    });

    await t.step("an answer lost on the way: the retry returns the same order", async () => {
      const table = tables[2];
      const { page, close } = await open(table.token);
      await addItem(page, plain.id);
      await page.click(".cart-bar");
      let lost = 0;
      await page.route("**/api/orders", async (route) => {
        if (lost++ === 0) {
          await route.fetch(); // the server takes the order…
          await route.abort("connectionreset"); // …and the phone never hears back
        } else await route.continue();
      });
      await page.click("button.place");
      await page.waitForSelector(".cart .error");
      assert.equal((await orders(table.id)).length, 1, "placed once, not answered");
      await page.click("button.place");
      await page.waitForSelector(".order .status");
      const placed = await orders(table.id);
      assert.equal(placed.length, 1, "the retry ordered nothing more");
      assert.equal(await page.getAttribute(".order", "data-order"), placed[0].id);
      await close();
    });

    await t.step("an item 86'd while the page is open greys out; the cart says so", async () => {
      const table = tables[3];
      const { page, close } = await open(table.token);
      await addItem(page, plain.id);
      const patched = await call(server, "PATCH", `/api/menu/items/${plain.id}`, {
        token: TOKEN,
        body: { available: false },
      });
      expect(patched, 200);
      await page.waitForSelector(`li.item.unavailable[data-item="${plain.id}"]`, { timeout: 3000 });
      assert.equal(await page.$(`li[data-item="${plain.id}"] button.add`), null);
      await page.click(".cart-bar");
      await page.waitForSelector(".cart .warning");
      assert.equal(await page.isDisabled("button.place"), true);
      await page.screenshot({ path: `${SCREENSHOTS}guest-86-360.png` });
      // The page as served (kept rendered per menu version) is rendered afresh after the 86.
      const item = (html: string) =>
        new RegExp(`<li class="item([^"]*)" data-item="${plain.id}"`).exec(html)?.[1];
      const pageNow = async () => await (await fetch(`${server.base}/t/${table.token}`)).text();
      assert.match(item(await pageNow()) ?? "", /unavailable/);
      expect(
        await call(server, "PATCH", `/api/menu/items/${plain.id}`, {
          token: TOKEN,
          body: { available: true },
        }),
        200,
      );
      await eventually("the served page has the item back", async () => {
        const state = item(await pageNow());
        return state !== undefined && !state.includes("unavailable");
      });
      await close();
    });

    await t.step("filters: an avoided allergen's items leave, the rest stay", async () => {
      const { page, close } = await open(tables[4].token, { width: 1280 });
      await page.click(".filters summary");
      await page.click('.filters label:has-text("Gluten") >> input');
      const shown = await page.$$eval(
        "li.item",
        (els) => els.map((e) => e.getAttribute("data-item")),
      );
      const expected = menu.items.filter((i: Json) => !i.allergens.includes("gluten")).map((
        i: Json,
      ) => i.id);
      assert.deepEqual(new Set(shown), new Set(expected));
      // The address follows in an effect after the list renders: wait for it, do not race it.
      await page.waitForFunction(() => location.search.includes("exclude=gluten"));
      assert.match(page.url(), /exclude=gluten/);
      await page.screenshot({ path: `${SCREENSHOTS}guest-filter-1280.png` });
      await close();
    });

    await t.step("German by Accept-Language, with a switch to English", async () => {
      const { page, close } = await open(tables[5].token, { lang: "de-DE" });
      const german = await call(server, "GET", "/api/menu?location=demo&lang=de");
      assert.equal(await page.getAttribute("html", "lang"), "de");
      assert.equal(await page.textContent("section h2"), german.body.categories[0].name);
      await page.screenshot({ path: `${SCREENSHOTS}guest-menu-de-360.png` });
      // A link to ?lang=en: wait for the new document, not on the one being left.
      await Promise.all([page.waitForURL(/lang=en/), page.click('nav.languages a[lang="en"]')]);
      await page.waitForSelector('html[lang="en"] [data-island] .guest');
      assert.equal(await page.textContent("section h2"), menu.categories[0].name);
      await close();
    });

    await t.step("without scripts the menu is there, in the right language", async () => {
      const reply = await fetch(`${server.base}/t/${tables[0].token}?lang=de`);
      const html = await reply.text();
      assert.equal(reply.status, 200);
      assert.match(reply.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      const german = (await call(server, "GET", "/api/menu?location=demo&lang=de")).body;
      for (const item of german.items) assert.ok(html.includes(escapeHtml(item.name)), item.name);
      assert.match(html, /<script type="module" src="\/assets\/guest-[A-Z0-9]+\.js">/);
    });

    await t.step("a rotated or unknown token: a friendly page, not JSON", async () => {
      const { page, close } = await (async () => {
        const context = await browser.newContext({ locale: "de-DE" });
        const page = await context.newPage();
        const response = await page.goto(`${server.base}/t/not-a-real-token`);
        assert.equal(response?.status(), 404);
        return { page, close: () => context.close() };
      })();
      assert.match(await page.textContent("h1") ?? "", /Tisch-Code funktioniert nicht/);
      await page.screenshot({ path: `${SCREENSHOTS}guest-unknown-360.png` });
      await close();
    });

    await t.step("axe-core: no serious or critical violation at 360 and 1920 px", async () => {
      for (const width of [360, 1920]) {
        const { page, errors, close } = await open(tables[2].token, { width });
        await assertAccessible(page, `the menu at ${width} px`);
        await page.click(`li[data-item="${withOptions.id}"] button.add`);
        await page.waitForSelector(".sheet");
        await assertAccessible(page, `the item sheet at ${width} px`);
        await page.keyboard.press("Escape");
        await addItem(page, plain.id);
        await page.click(".cart-bar");
        await assertAccessible(page, `the cart at ${width} px`);
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.equal(overflow, 0, `no sideways scrolling at ${width} px`);
        assert.deepEqual(errors, []);
        await close();
      }
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.base}/t/not-a-real-token`);
      await assertAccessible(page, "the unknown-table page");
      await context.close();
    });

    await t.step(
      "a throttled network (400 kbit/s, 400 ms RTT): readable and orderable in time",
      async () => {
        const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send("Network.enable");
        await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
        await cdp.send("Network.emulateNetworkConditions", {
          offline: false,
          latency: 400,
          downloadThroughput: 400_000 / 8,
          uploadThroughput: 400_000 / 8,
        });
        const transferred: number[] = [];
        cdp.on("Network.loadingFinished", (e) => transferred.push(e.encodedDataLength));
        await page.goto(`${server.base}/t/${tables[3].token}`, { waitUntil: "commit" });
        await page.waitForSelector("[data-island][data-hydrated]", { timeout: 15_000 });
        const timing = await page.evaluate(() => {
          const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
          const paint = performance.getEntriesByName("first-contentful-paint")[0];
          return { firstByte: nav.responseStart, paint: paint?.startTime, now: performance.now() };
        });
        const readableMs = timing.paint - timing.firstByte;
        const orderableMs = timing.now - timing.firstByte;
        const firstLoad = transferred.reduce((a, b) => a + b, 0);
        await addItem(page, plain.id);
        await page.click(".cart-bar");
        await page.click("button.place");
        await page.waitForSelector(".order .status", { timeout: 15_000 });
        const placedMs = await page.evaluate(
          (start) => performance.now() - start,
          timing.firstByte,
        );
        console.log(
          `throttled: menu painted ${readableMs.toFixed(0)} ms after the first byte, ` +
            `island answering at ${
              orderableMs.toFixed(0)
            } ms, an order placed (scripted taps) at ` +
            `${placedMs.toFixed(0)} ms; first load ${(firstLoad / 1024).toFixed(1)} KB on the wire`,
        );
        assert.ok(readableMs < 3000, `menu readable after ${readableMs} ms`);
        assert.ok(orderableMs < 5000, `ordering possible after ${orderableMs} ms`);
        assert.ok(placedMs < 5000, `order placed after ${placedMs} ms`);
        assert.ok(firstLoad < 150 * 1024, `first load ${firstLoad} bytes`);
        await context.close();
      },
    );

    await t.step("assets: hashed names, cached a year, compressed, within budget", async () => {
      const html = await (await fetch(`${server.base}/t/${tables[0].token}`)).text();
      const script = /src="(\/assets\/guest-[A-Z0-9]+\.js)"/.exec(html)![1];
      const styles = /href="(\/assets\/styles-[0-9a-f]+\.css)"/.exec(html)![1];
      for (const path of [script, styles]) {
        const reply = await fetch(`${server.base}${path}`, {
          headers: { "accept-encoding": "gzip" },
        });
        assert.equal(reply.status, 200, path);
        assert.equal(reply.headers.get("cache-control"), "public, max-age=31536000, immutable");
        assert.equal(reply.headers.get("content-encoding"), "gzip");
        // fetch decodes the body; what went over the wire is its gzip.
        const body = new Uint8Array(await reply.arrayBuffer());
        const gzipped = gzipSync(body, { level: 9 });
        assert.ok(body.length > 1000, path);
        if (path === script) {
          console.log(`guest bundle: ${gzipped.length} bytes gzipped`);
          assert.ok(gzipped.length < 50 * 1024, `guest JS ${gzipped.length} bytes gzipped`);
        }
      }
      const missing = await fetch(`${server.base}/assets/guest-NOTTHERE.js`);
      assert.equal(missing.status, 404);
      assert.equal((await missing.json()).error.code, "not_found");
    });
  } finally {
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}
