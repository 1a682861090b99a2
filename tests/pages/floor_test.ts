/**
 * The floor page (`/floor`, routes/pages/floor.tsx, islands/floor_page.tsx and islands/live)
 * in Chromium against the real server, with a server's device token on a phone: accepting a
 * guest's pending order, serving a ready one, acknowledging a call made from the guest page,
 * a close refused while an order is open (saying which), then closing the table after the
 * bill, and the guest page's fresh visit; an offline tap sent after the stream is back;
 * accessibility and screenshots.
 */
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import {
  call,
  deviceToken,
  expect,
  type Json,
  readMenu,
  readTables,
  startMain,
} from "../fixtures.ts";
import { assertAccessible } from "./axe.ts";
import { eventually, SCREENSHOTS, scriptBytes, startBrowser } from "./browser_fixture.ts";
import { addItem, openGuest } from "./guest_steps.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "floor-page-owner";

Deno.test("[floor page] in Chromium", opts, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-floor-page-" });
  const server = await startMain({
    SEATSERVE_KV_PATH: `${dir}/kv`,
    SEATSERVE_BOOTSTRAP_TOKEN: TOKEN,
    SEATSERVE_RATE_LIMIT: "off",
  });
  const browser: Browser = await startBrowser();
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const waiter = await deviceToken(server, "server", { label: "floor phone" });
  const kitchen = await deviceToken(server, "kitchen", { label: "pass" });
  const tables = await readTables(server);
  const menu = await readMenu(server);
  const plain = menu.items.find((i: Json) => i.available && i.optionGroups.length === 0);
  const read = async (path: string) =>
    expect(await call(server, "GET", path, { token: TOKEN }), 200);
  const move = async (id: string, status: string, token = kitchen.token) =>
    expect(await call(server, "PATCH", `/api/orders/${id}`, { token, body: { status } }), 200);
  const openFloor = async (options: { width?: number; height?: number } = {}) => {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 360, height: options.height ?? 780 },
      locale: "en-GB",
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`${server.base}/floor?access_token=${waiter.token}`);
    await page.waitForSelector('.live-status[data-online="true"]');
    return { page, context, errors, close: () => context.close() };
  };

  try {
    await t.step(
      "accept, serve, acknowledge, close after the bill; the guest's fresh visit",
      async () => {
        const table = tables[0];
        const floor = await openFloor();
        const guest = await openGuest(browser, server.base, table.token);
        await addItem(guest.page, plain.id, { quantity: 2 });
        await guest.page.click(".cart-bar");
        await guest.page.click("button.place");
        await guest.page.waitForSelector(".order .status");
        const [order] = (await read(`/api/orders?table=${table.id}`)).orders;
        assert.equal(order.status, "pending");
        // The pending order shows up to accept; one tap accepts it.
        const card = floor.page.locator(`.floor-pending .floor-order[data-order="${order.id}"]`);
        await card.waitFor({ timeout: 2_000 });
        await floor.page.screenshot({
          path: `${SCREENSHOTS}floor-pending-360.png`,
          fullPage: true,
        });
        await card.locator("button.accept").click();
        await card.waitFor({ state: "detached" });
        assert.equal((await read(`/api/orders/${order.id}`)).status, "queued");
        // The table's bill is read again with the order: the total, and the close refused.
        const tile = floor.page.locator(`.floor-table[data-table="${table.id}"]`);
        await eventually(
          "the bill on the table",
          async () =>
            Number(await tile.locator(".floor-bill").getAttribute("data-bill-total")) ===
              order.totalCents,
        );
        await tile.locator("button.close-table").click();
        await tile.locator(".floor-table-message").waitFor();
        assert.match(
          await tile.locator(".floor-table-message").textContent() ?? "",
          new RegExp(`Cannot close yet: order #${order.id.slice(-5)} is Queued`),
        );
        assert.equal((await read(`/api/tables/${table.id}/visit`)).status, "open");
        // The kitchen makes it ready; one tap serves it.
        await move(order.id, "preparing");
        await move(order.id, "ready");
        const ready = floor.page.locator(`.floor-ready .floor-order[data-order="${order.id}"]`);
        await ready.waitFor();
        await ready.locator("button.deliver").click();
        await ready.waitFor({ state: "detached" });
        assert.equal((await read(`/api/orders/${order.id}`)).status, "delivered");
        // The guest calls a server from the guest page; the floor acknowledges it.
        await guest.page.click('.help button:has-text("Call a server")');
        await guest.page.waitForSelector(".help-status");
        const call_ = floor.page.locator(".floor-request.kind-call_server");
        await call_.waitFor({ timeout: 2_000 });
        assert.match(await call_.textContent() ?? "", new RegExp(`Table ${table.number}`));
        await floor.page.screenshot({ path: `${SCREENSHOTS}floor-call-360.png`, fullPage: true });
        await call_.locator("button.ack").click();
        await call_.waitFor({ state: "detached" });
        assert.deepEqual((await read("/api/service-requests?open=true")).requests, []);
        // The guest sees the bill; the server closes the table.
        await guest.page.reload();
        await guest.page.waitForSelector("[data-bill-total]");
        assert.equal(
          Number(await guest.page.getAttribute("[data-bill-total]", "data-bill-total")),
          order.totalCents,
        );
        await tile.locator("button.close-table").click();
        await eventually(
          "the close said so",
          async () =>
            /Closed: bill/.test(await tile.locator(".floor-table-message").textContent() ?? ""),
        );
        const closed = await read(`/api/tables/${table.id}/visit`);
        assert.equal(closed.status, "closed");
        assert.equal(closed.totalCents, order.totalCents);
        assert.equal(await tile.locator("button.close-table").count(), 0);
        await floor.page.screenshot({ path: `${SCREENSHOTS}floor-closed-360.png`, fullPage: true });
        // The guest page: no bill of the last party; a new order opens a fresh visit.
        await guest.page.reload();
        await guest.page.waitForSelector(".help");
        await guest.page.waitForTimeout(300);
        assert.equal(await guest.page.$("[data-bill-total]"), null);
        await addItem(guest.page, plain.id);
        await guest.page.click(".cart-bar");
        await guest.page.click("button.place");
        await eventually("a fresh visit", async () => {
          const visit = await call(server, "GET", `/api/tables/${table.id}/visit`, {
            token: TOKEN,
          });
          return visit.body.status === "open" && visit.body.id !== closed.id;
        });
        const fresh = await read(`/api/tables/${table.id}/visit`);
        await guest.page.waitForFunction(
          (total) =>
            document.querySelector("[data-bill-total]")?.getAttribute("data-bill-total") ===
              String(total),
          fresh.totalCents,
        );
        assert.equal(fresh.orders.length, 1);
        assert.deepEqual(floor.errors, []);
        assert.deepEqual(guest.errors, []);
        await guest.close();
        await floor.close();
      },
    );

    await t.step("a tap made while the stream is away is sent once it is back", async () => {
      const table = tables[1];
      const placed = expect(
        await call(server, "POST", "/api/orders", {
          body: { tableToken: table.token, items: [{ menuItemId: plain.id, quantity: 1 }] },
        }),
        201,
      );
      const floor = await openFloor({ width: 1280, height: 900 });
      const card = floor.page.locator(`.floor-order[data-order="${placed.id}"]`);
      await card.waitFor();
      // The phone loses its network.
      await floor.context.setOffline(true);
      await floor.page.waitForSelector('.live-status[data-online="false"]', { timeout: 10_000 });
      await card.locator("button.accept").click();
      await card.locator(".floor-waiting").waitFor();
      assert.equal((await read(`/api/orders/${placed.id}`)).status, "pending");
      await floor.context.setOffline(false);
      await eventually(
        "sent after the reconnect",
        async () => (await read(`/api/orders/${placed.id}`)).status === "queued",
        15_000,
      );
      await card.waitFor({ state: "detached" });
      assert.deepEqual(floor.errors, []);
      await floor.close();
    });

    await t.step("cancelling a pending order takes a second tap", async () => {
      const placed = expect(
        await call(server, "POST", "/api/orders", {
          body: { tableToken: tables[5].token, items: [{ menuItemId: plain.id, quantity: 1 }] },
        }),
        201,
      );
      const floor = await openFloor();
      const card = floor.page.locator(`.floor-order[data-order="${placed.id}"]`);
      await card.locator("button.cancel").click();
      await card.locator("button.cancel.confirming").waitFor();
      assert.equal(await card.locator("button.cancel").textContent(), "Tap again to cancel");
      assert.equal((await read(`/api/orders/${placed.id}`)).status, "pending");
      await card.locator("button.cancel").click();
      await card.waitFor({ state: "detached" });
      assert.equal((await read(`/api/orders/${placed.id}`)).status, "cancelled");
      assert.deepEqual(floor.errors, []);
      await floor.close();
    });

    await t.step("axe-core at 360 and 1920 px; screenshots at 360 and 1280 px", async () => {
      // Something in every part: a pending order, a ready one, a call.
      const table = tables[2];
      const a = expect(
        await call(server, "POST", "/api/orders", {
          body: { tableToken: table.token, items: [{ menuItemId: plain.id, quantity: 1 }] },
        }),
        201,
      );
      const b = expect(
        await call(server, "POST", "/api/orders", {
          body: { tableToken: tables[3].token, items: [{ menuItemId: plain.id, quantity: 3 }] },
        }),
        201,
      );
      await move(b.id, "queued", waiter.token);
      await move(b.id, "preparing");
      await move(b.id, "ready");
      expect(
        await call(server, "POST", "/api/service-requests", {
          body: { tableToken: tables[4].token, kind: "bill" },
        }),
        201,
      );
      void a;
      for (const width of [360, 1920]) {
        const { page, errors, close } = await openFloor({ width, height: 900 });
        await page.waitForSelector(".floor-request");
        await assertAccessible(page, `the floor at ${width} px`);
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.equal(overflow, 0, `no sideways scrolling at ${width} px`);
        assert.deepEqual(errors, []);
        await close();
      }
      for (const width of [360, 1280]) {
        const { page, close } = await openFloor({ width, height: width === 360 ? 780 : 900 });
        await page.screenshot({ path: `${SCREENSHOTS}floor-board-${width}.png` });
        await page.screenshot({
          path: `${SCREENSHOTS}floor-board-full-${width}.png`,
          fullPage: true,
        });
        await close();
      }
    });

    await t.step("the kitchen sees pending orders as waiting for acceptance", async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${server.base}/kitchen?access_token=${kitchen.token}`);
      await page.waitForSelector('.live-status[data-online="true"]');
      const pending = (await read("/api/orders?status=pending")).orders as Json[];
      assert.ok(pending.length > 0);
      const shown = await page.$$eval(
        ".column-pending .ticket",
        (els) => els.map((e) => e.getAttribute("data-order")),
      );
      assert.deepEqual(shown.sort(), pending.map((o) => o.id).sort());
      assert.match(await page.textContent(".column-pending h2") ?? "", /Waiting for acceptance/);
      // The kitchen cannot accept: no button on them.
      assert.equal(await page.locator(".column-pending .ticket button").count(), 0);
      await page.screenshot({ path: `${SCREENSHOTS}kitchen-pending-1280.png` });
      await context.close();
    });

    await t.step(
      "auto-accept and a pause switched while the floor is open: the screen follows",
      async () => {
        // No order waits for acceptance (the steps before left some).
        for (const order of (await read("/api/orders?status=pending")).orders as Json[]) {
          await move(order.id, "cancelled", TOKEN);
        }
        const { page, errors, close } = await openFloor();
        const section = page.locator(".floor-pending");
        await section.waitFor();
        const settings = (body: Json) =>
          call(server, "PATCH", "/api/settings", { token: TOKEN, body }).then((r) =>
            expect(r, 200)
          );
        await settings({ autoAccept: true });
        await section.waitFor({ state: "detached" });
        await settings({ autoAccept: false });
        await section.waitFor();
        // A pause is said on the open screen, and gone when ordering resumes.
        const paused = page.locator(".ordering-paused");
        assert.equal(await paused.count(), 0);
        await settings({ orderingPaused: true });
        await paused.waitFor();
        assert.match(await paused.textContent() ?? "", /Ordering from the tables is paused/);
        await page.screenshot({ path: `${SCREENSHOTS}floor-paused-360.png` });
        const rendered = await call(server, "GET", "/floor", { token: TOKEN });
        assert.match(rendered.text, /class="ordering-paused"/, "a page opened now says so too");
        await settings({ orderingPaused: false });
        await paused.waitFor({ state: "detached" });
        assert.deepEqual(errors, []);
        await close();
      },
    );

    await t.step("German by Accept-Language; the page's script, gzipped", async () => {
      const page = await call(server, "GET", "/floor", {
        token: TOKEN,
        headers: { "accept-language": "de-DE,de;q=0.9" },
      });
      assert.equal(page.status, 200);
      assert.match(page.text, /<html lang="de">/);
      assert.match(page.text, /Fertig zum Servieren/);
      const bytes = await scriptBytes(server.base, page.text, "floor");
      console.log(`floor page JS: ${bytes} bytes gzipped (entry and the chunks it imports)`);
      assert.ok(bytes < 50 * 1024, `${bytes} bytes`);
    });

    await t.step("the kitchen role may not open the floor", async () => {
      const reply = await call(server, "GET", "/floor", {
        token: kitchen.token,
        headers: { accept: "text/html" },
      });
      assert.equal(reply.status, 403);
    });
  } finally {
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
