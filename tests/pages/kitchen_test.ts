/**
 * The kitchen display (`/kitchen`, routes/pages/kitchen.tsx, islands/kitchen_page.tsx and
 * islands/live) in Chromium against the real server: a guest's order reaching it within a
 * second and moved to ready by taps while the guest's tracker follows; station views and the
 * expo view; a server restart survived with every ticket exactly once, taps made offline sent
 * after the reconnect and a conflicting one refused; the page without scripts; accessibility.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import {
  addMenuItem,
  call,
  deviceToken,
  expect,
  freePort,
  type Json,
  type MainProcess,
  readMenu,
  readTables,
  startMain,
} from "../fixtures.ts";
import { assertAccessible } from "./axe.ts";
import { eventually, SCREENSHOTS, scriptBytes, startBrowser } from "./browser_fixture.ts";
import { addItem, openGuest } from "./guest_steps.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "kitchen-page-owner";

Deno.test("[kitchen page] in Chromium", opts, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-kitchen-page-" });
  const env = {
    SEATSERVE_KV_PATH: `${dir}/kv`,
    SEATSERVE_BOOTSTRAP_TOKEN: TOKEN,
    SEATSERVE_RATE_LIMIT: "off",
    // Streams re-check their credential this often: a revoked screen hears of it quickly.
    SEATSERVE_STREAM_KEEPALIVE_SECONDS: "2",
    PORT: String(freePort()),
  };
  let server: MainProcess = await startMain(env);
  const browser: Browser = await startBrowser();
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  /** Changes the location's settings as its owner, checked. */
  const changeSettings = async (body: Json) =>
    expect(await call(server, "PATCH", "/api/settings", { token: TOKEN, body }), 200);
  // Orders are created queued here, so the kitchen can move them from the start.
  await changeSettings({ autoAccept: true });
  const kitchen = await deviceToken(server, "kitchen", { label: "pass screen" });
  const tables = await readTables(server);
  const menu = await readMenu(server);
  const withOptions = menu.items.find((i: Json) =>
    i.available && i.optionGroups.some((g: Json) => g.min >= 1) &&
    i.optionGroups.every((g: Json) => g.options.filter((o: Json) => o.available).length >= g.min)
  );
  const plain = menu.items.find((i: Json) =>
    i.available && i.optionGroups.length === 0 && i.station !== withOptions.station
  ) ?? menu.items.find((i: Json) =>
    i.available && i.optionGroups.length === 0
  );
  const openOrders = async () => {
    const reply = await call(server, "GET", "/api/orders?limit=100", { token: TOKEN });
    return (expect(reply, 200).orders as Json[]).filter((o) =>
      o.status !== "closed" && o.status !== "cancelled"
    );
  };
  const place = async (tableToken: string, itemId: string) =>
    expect(
      await call(server, "POST", "/api/orders", {
        body: { tableToken, items: [{ menuItemId: itemId, quantity: 1 }] },
      }),
      201,
    );
  const openKitchen = async (
    query = "",
    options: { width?: number; height?: number; reducedMotion?: boolean; clock?: boolean } = {},
  ) => {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
      locale: "en-GB",
      reducedMotion: options.reducedMotion ? "reduce" : "no-preference",
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    if (options.clock) await page.clock.install();
    // Counts the tones the page plays (WebAudio oscillators started).
    await page.addInitScript(() => {
      const start = OscillatorNode.prototype.start;
      // deno-lint-ignore no-explicit-any
      const counter = globalThis as any;
      counter.tones = 0;
      OscillatorNode.prototype.start = function (...args) {
        counter.tones++;
        return start.apply(this, args);
      };
    });
    const sep = query ? "&" : "?";
    await page.goto(`${server.base}/kitchen${query}${sep}access_token=${kitchen.token}`);
    await waitOnline(page);
    return { page, errors, close: () => context.close() };
  };

  try {
    await t.step(
      "a guest's order reaches the kitchen within 1 s; taps move it to ready",
      async () => {
        const { page: screen, errors, close } = await openKitchen();
        const guest = await openGuest(browser, server.base, tables[0].token);
        await addItem(guest.page, withOptions.id, { note: "no onions, please" });
        await addItem(guest.page, plain.id);
        await guest.page.click(".cart-bar");
        const tappedAt = Date.now();
        const answered = guest.page.waitForResponse((r) =>
          r.url().endsWith("/api/orders") && r.request().method() === "POST"
        ).then((r) => ({ status: r.status(), at: Date.now() }));
        await guest.page.click("button.place");
        const ticket = screen.locator(".ticket", { hasText: "no onions, please" });
        await ticket.waitFor({ timeout: 5_000 });
        const shownAt = Date.now();
        const placed = await answered;
        assert.equal(placed.status, 201);
        // Within a second of the order being placed (its 201), however loaded the machine is;
        // often before the guest's phone has its answer.
        console.log(
          `kitchen ticket: ${shownAt - tappedAt} ms after the guest's tap, ` +
            `${shownAt - placed.at} ms after the order's 201`,
        );
        assert.ok(shownAt - placed.at < 1_000, `${shownAt - placed.at} ms`);
        const id = await ticket.getAttribute("data-order");
        // A new ticket beeps (a WebAudio tone, no sound file: played from the effect that follows
        // the ticket's render, so waited for) and flashes.
        await screen.waitForFunction(
          () => (globalThis as unknown as { tones: number }).tones > 0,
          undefined,
          { timeout: 2_000 },
        );
        assert.match(await ticket.getAttribute("class") ?? "", /\bfresh\b/);
        const order = (await openOrders()).find((o) => o.id === id)!;
        assert.equal(order.status, "queued");
        const line = order.items.find((l: Json) => l.menuItemId === withOptions.id);
        const text = await ticket.textContent() ?? "";
        for (const option of line.options) assert.ok(text.includes(option.name), option.name);
        assert.ok(text.includes(withOptions.name));
        assert.ok(text.includes(plain.name));
        assert.equal(await ticket.locator(".ticket-move").textContent(), "Start");
        assert.ok(await screen.$(`.column-queued .ticket[data-order="${id}"]`));
        const allergens = withOptions.allergens as string[];
        if (allergens.length) {
          assert.ok(await ticket.locator(".line-allergens .allergen").count() >= allergens.length);
        }
        await screen.screenshot({ path: `${SCREENSHOTS}kitchen-ticket-1280.png` });
        // One tap: preparing; then each line tapped ready, the last one makes the ticket ready.
        await ticket.locator(".ticket-move").click();
        await screen.waitForSelector(`.column-preparing .ticket[data-order="${id}"]`);
        for (let i = 0; i < order.items.length; i++) {
          await screen.click(`.ticket[data-order="${id}"] button.line[data-line="${i}"]`);
          if (i < order.items.length - 1) {
            await screen.waitForSelector(
              `.ticket[data-order="${id}"] button.line.ready[data-line="${i}"]`,
            );
          }
        }
        await screen.waitForSelector(`.column-ready .ticket[data-order="${id}"]`);
        const after = expect(await call(server, "GET", `/api/orders/${id}`, { token: TOKEN }), 200);
        assert.equal(after.status, "ready");
        assert.ok(after.items.every((l: Json) => l.readyAt));
        assert.deepEqual(
          after.history.map((h: Json) => h.status),
          ["pending", "queued", "preparing", "ready"],
        );
        // The guest's tracker shows it without a reload.
        await guest.page.waitForFunction(
          () => document.querySelector(".order .status")?.textContent?.includes("Ready"),
          undefined,
          { timeout: 3_000 },
        );
        await screen.screenshot({ path: `${SCREENSHOTS}kitchen-ready-1280.png` });
        assert.deepEqual(errors, []);
        assert.deepEqual(guest.errors, []);
        await guest.close();
        await close();
      },
    );

    await t.step("a line tapped again is undone; a ready ticket is recalled", async () => {
      const placed = await place(tables[9].token, plain.id);
      const { page, errors, close } = await openKitchen();
      const ticket = `.ticket[data-order="${placed.id}"]`;
      await page.click(`${ticket} .ticket-move`); // start
      await page.waitForSelector(`.column-preparing ${ticket}`);
      await page.click(`${ticket} button.line[data-line="0"]`); // its only line: ready
      await page.waitForSelector(`.column-ready ${ticket}`);
      await page.click(`${ticket} .ticket-move.move-recall`);
      await page.waitForSelector(`.column-preparing ${ticket} button.line:not(.ready)`);
      let now = expect(
        await call(server, "GET", `/api/orders/${placed.id}`, { token: TOKEN }),
        200,
      );
      assert.equal(now.status, "preparing");
      assert.equal(now.items[0].readyAt, null);
      assert.equal(now.history.at(-1).status, "preparing");
      // A two-line ticket: a line tapped twice is ready, then not.
      const two = expect(
        await call(server, "POST", "/api/orders", {
          body: {
            tableToken: tables[9].token,
            items: [{ menuItemId: plain.id, quantity: 1 }, { menuItemId: plain.id, quantity: 2 }],
          },
        }),
        201,
      );
      const second = `.ticket[data-order="${two.id}"]`;
      await page.click(`${second} button.line[data-line="1"]`);
      await page.waitForSelector(`.column-preparing ${second} button.line.ready[data-line="1"]`);
      await page.click(`${second} button.line[data-line="1"]`);
      await page.waitForSelector(`${second} button.line[data-line="1"][aria-pressed="false"]`);
      now = expect(await call(server, "GET", `/api/orders/${two.id}`, { token: TOKEN }), 200);
      assert.deepEqual(now.items.map((l: Json) => l.readyAt), [null, null]);
      assert.equal(now.status, "preparing");
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("a station view shows only its station's orders; expo shows all", async () => {
      const stations = [...new Set(menu.items.map((i: Json) => i.station))] as string[];
      assert.ok(stations.length >= 2, "the demo menu has several stations");
      for (const [i, station] of stations.entries()) {
        const item = menu.items.find((x: Json) =>
          x.available && x.station === station && x.optionGroups.every((g: Json) => g.min === 0)
        );
        if (item) await place(tables[1 + i].token, item.id);
      }
      const open = await openOrders();
      for (const station of stations) {
        const { page, errors, close } = await openKitchen(`?station=${station}`);
        const shown = await ticketIds(page);
        const expected = open.filter((o) => o.items.some((l: Json) => l.station === station))
          .map((o) => o.id);
        assert.deepEqual(shown.sort(), expected.sort(), station);
        assert.equal(
          await page.getAttribute(`.stations a[aria-current="page"]`, "href"),
          `/kitchen?station=${station}`,
        );
        // Its own lines are shown, the others only counted.
        const names = await page.$$eval(".ticket .line-name", (els) =>
          els.map((e) => e.textContent));
        const ownNames = new Set(
          open.flatMap((o) =>
            o.items.filter((l: Json) =>
              l.station === station
            ).map((l: Json) => l.name)
          ),
        );
        for (const name of names) assert.ok(ownNames.has(name), `${name} at ${station}`);
        assert.deepEqual(errors, []);
        await close();
      }
      const { page, close } = await openKitchen();
      assert.deepEqual((await ticketIds(page)).sort(), open.map((o) => o.id).sort());
      await page.screenshot({ path: `${SCREENSHOTS}kitchen-expo-1280.png` });
      await close();
    });

    await t.step("an item added since the page opened: its allergens are read", async () => {
      const { page, errors, close } = await openKitchen();
      const item = await addMenuItem(server, {
        name: "Peanut satay",
        priceCents: 900,
        category: "Starters",
        allergens: ["peanuts", "soybeans"],
      });
      const placed = await place(tables[8].token, item.id);
      const ticket = page.locator(`.ticket[data-order="${placed.id}"]`);
      await ticket.locator(".line-allergens .allergen").first().waitFor();
      assert.deepEqual(await ticket.locator(".line-allergens .allergen").allTextContents(), [
        "Peanuts",
        "Soy",
      ]);
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("without scripts the tickets are there", async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(`${server.base}/kitchen?access_token=${kitchen.token}`);
      const open = await openOrders();
      assert.deepEqual((await ticketIds(page)).sort(), open.map((o) => o.id).sort());
      assert.match(await page.textContent(".live-status") ?? "", /Connecting/);
      await context.close();
    });

    await t.step(
      "a restart: back by itself, every ticket once, offline taps kept and sent",
      async () => {
        const { page, errors, close } = await openKitchen();
        const before = await openOrders();
        const queued = before.filter((o) => o.status === "queued");
        assert.ok(queued.length >= 2, "two queued tickets to tap");
        const [tapped, contested] = queued;
        // The page may not reconnect until the test lets it (changes are made meanwhile).
        await page.route("**/api/kitchen/stream**", (route) => route.abort("connectionrefused"));
        await server.stop();
        await page.waitForSelector('.live-status[data-online="false"]');
        assert.match(
          await page.textContent(".live-status") ?? "",
          /^Offline · tickets as of \d\d:\d\d( [AP]M)? \((just now|\d+ s ago)\)$/,
        );
        await page.screenshot({ path: `${SCREENSHOTS}kitchen-offline-1280.png` });
        // Two taps while offline: both wait in the outbox (kept in localStorage).
        for (const order of [tapped, contested]) {
          await page.click(`.ticket[data-order="${order.id}"] .ticket-move`);
          await page.waitForSelector(`.ticket[data-order="${order.id}"] .ticket-waiting`);
        }
        assert.match(await page.textContent(".live-queued") ?? "", /2 change/);
        const kept = await page.evaluate(() =>
          Object.keys(localStorage).filter((k) => k.startsWith("seatserve:outbox:"))
            .map((k) => JSON.parse(localStorage.getItem(k)!).length)
        );
        assert.deepEqual(kept, [2]);
        server = await startMain(env);
        // While the page is still away: new orders, and the contested ticket moved elsewhere.
        const placedMeanwhile = [
          await place(tables[5].token, plain.id),
          await place(tables[6].token, plain.id),
        ];
        const moved = expect(
          await call(server, "PATCH", `/api/orders/${contested.id}`, {
            token: TOKEN,
            body: { status: "preparing" },
          }),
          200,
        );
        // A reload meanwhile (the server is back, the stream still away) keeps the taps.
        await page.reload();
        await page.waitForSelector(".live-queued");
        assert.match(await page.textContent(".live-queued") ?? "", /2 change/);
        for (const order of [tapped, contested]) {
          await page.waitForSelector(`.ticket[data-order="${order.id}"] .ticket-waiting`);
        }
        await page.unroute("**/api/kitchen/stream**");
        await waitOnline(page, 15_000);
        // The tap made offline is applied; the contested one is refused and shown.
        await eventually("the offline tap applied", async () => {
          const reply = await call(server, "GET", `/api/orders/${tapped.id}`, { token: TOKEN });
          return reply.body.status === "preparing";
        }, 10_000).catch(async (error) => {
          throw new Error(`${error.message}; the page says: ${await page.textContent(".kitchen")}`);
        });
        const notice = page.locator(`.ticket[data-order="${contested.id}"] .ticket-notice`);
        await notice.waitFor();
        assert.match(await notice.textContent() ?? "", /Changed elsewhere: now Preparing/);
        const contestedNow = expect(
          await call(server, "GET", `/api/orders/${contested.id}`, { token: TOKEN }),
          200,
        );
        assert.equal(contestedNow.version, moved.version, "the refused tap changed nothing");
        assert.equal(contestedNow.status, "preparing");
        await page.waitForSelector(".live-queued", { state: "detached" });
        // Every open order exactly once, those placed meanwhile among them.
        await eventually("the board matches the store", async () => {
          const shown = await ticketIds(page);
          const open = (await openOrders()).map((o) => o.id);
          return shown.length === open.length && open.every((id) => shown.includes(id));
        });
        const shown = await ticketIds(page);
        assert.equal(new Set(shown).size, shown.length, "no ticket twice");
        for (const order of placedMeanwhile) assert.ok(shown.includes(order.id));
        const versions = await page.$$eval(
          ".ticket",
          (els) => Object.fromEntries(els.map((e) => [e.dataset.order, Number(e.dataset.version)])),
        );
        for (const order of await openOrders()) assert.equal(versions[order.id], order.version);
        await page.screenshot({ path: `${SCREENSHOTS}kitchen-conflict-1280.png` });
        assert.deepEqual(errors, []);
        await close();
      },
    );

    await t.step(
      "ages turn amber and red by the thresholds, changed while the screen is open; reduced motion: no flash",
      async () => {
        const { page, close } = await openKitchen("", { reducedMotion: true, clock: true });
        await place(tables[7].token, plain.id);
        const fresh = page.locator(".ticket.fresh");
        await fresh.first().waitFor();
        const animation = await fresh.first().evaluate((e) => getComputedStyle(e).animationName);
        assert.equal(animation, "none");
        const timed = ".column-queued .ticket, .column-preparing .ticket";
        const count = await page.locator(timed).count();
        assert.ok(count > 0);
        assert.equal(await page.locator(".ticket.warn, .ticket.late").count(), 0, "young tickets");
        // A minute on (the page's clock): still young by the 10 minutes the page opened with.
        await page.clock.fastForward("01:01");
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(await page.locator(".ticket.warn, .ticket.late").count(), 0, "under 10 min");
        // A manager lowers the thresholds: the open screen recolours without a reload.
        await changeSettings({ ticketWarnMinutes: 1, ticketLateMinutes: 2 });
        await eventually("amber", async () => await page.locator(".ticket.warn").count() === count);
        // Two minutes: red. Ready tickets are not timed.
        await page.clock.fastForward("01:00");
        await eventually("red", async () => await page.locator(".ticket.late").count() === count);
        assert.equal(await page.locator(".column-ready .ticket.late").count(), 0);
        await page.screenshot({ path: `${SCREENSHOTS}kitchen-late-1280.png` });
        // A pause reaches the open screen too (and its late tickets stay as they are).
        await changeSettings({ orderingPaused: true });
        const paused = page.locator(".ordering-paused");
        await paused.waitFor();
        assert.match(await paused.textContent() ?? "", /Ordering from the tables is paused/);
        assert.equal(await page.locator(".ticket.late").count(), count);
        await page.screenshot({ path: `${SCREENSHOTS}kitchen-paused-1280.png` });
        await changeSettings({ orderingPaused: false });
        await paused.waitFor({ state: "detached" });
        await close();
        await changeSettings({ ticketWarnMinutes: 10, ticketLateMinutes: 20 });
      },
    );

    await t.step("axe-core at 360 and 1920 px; screenshots at 360 and 1280 px", async () => {
      for (const width of [360, 1920]) {
        const { page, errors, close } = await openKitchen("", { width });
        await assertAccessible(page, `the kitchen at ${width} px`);
        if (width === 1920) await page.screenshot({ path: `${SCREENSHOTS}kitchen-wall-1920.png` });
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.equal(overflow, 0, `no sideways scrolling at ${width} px`);
        assert.deepEqual(errors, []);
        await close();
      }
      const { page, close } = await openKitchen("", { width: 360, height: 780 });
      await page.screenshot({ path: `${SCREENSHOTS}kitchen-expo-360.png` });
      await page.screenshot({ path: `${SCREENSHOTS}kitchen-expo-full-360.png`, fullPage: true });
      await close();
      const wide = await openKitchen("", { width: 1280, height: 900 });
      await wide.page.screenshot({ path: `${SCREENSHOTS}kitchen-board-1280.png` });
      await wide.close();
    });

    await t.step("the page's script, gzipped", async () => {
      const page = await call(server, "GET", "/kitchen", { token: TOKEN });
      const bytes = await scriptBytes(server.base, page.text, "kitchen");
      console.log(`kitchen page JS: ${bytes} bytes gzipped (entry and the chunks it imports)`);
      assert.ok(bytes < 50 * 1024, `${bytes} bytes`);
    });

    await t.step("a screen whose token is revoked says it is signed out", async () => {
      const screen = await deviceToken(server, "kitchen", { label: "spare screen" });
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${server.base}/kitchen?access_token=${screen.token}`);
      await waitOnline(page);
      expect(await call(server, "DELETE", `/api/auth/tokens/${screen.id}`, { token: TOKEN }), 204);
      await page.waitForFunction(
        () => /Signed out/.test(document.querySelector(".live-status")?.textContent ?? ""),
        undefined,
        { timeout: 15_000 },
      );
      await context.close();
    });

    await t.step("German by Accept-Language", async () => {
      const reply = await call(server, "GET", "/kitchen", {
        token: TOKEN,
        headers: { "accept-language": "de-DE,de;q=0.9" },
      });
      assert.match(reply.text, /<html lang="de">/);
      assert.match(reply.text, /Warteschlange/);
      assert.match(reply.text, /Pass \(alle Stationen\)/);
    });

    await t.step("the station query: a malformed one is the expo view", async () => {
      const reply = await call(server, "GET", "/kitchen?station=%3Cx%3E", { token: TOKEN });
      assert.equal(reply.status, 200);
      assert.match(reply.text, /aria-current="page">Expo/);
    });
  } finally {
    await browser.close();
    await server.stop().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

/** The ids of the tickets on the page. */
async function ticketIds(page: Page): Promise<string[]> {
  return await page.$$eval(".ticket", (els) => els.map((e) => e.getAttribute("data-order")!));
}

/** Waits until the page's stream is connected (saying what the page shows if it is not). */
async function waitOnline(page: Page, timeout = 5_000): Promise<void> {
  try {
    await page.waitForSelector('.live-status[data-online="true"]', { timeout });
  } catch (error) {
    const status = await page.textContent(".live-status").catch(() => null);
    throw new Error(`not online within ${timeout} ms (the page says: ${status})`, {
      cause: error,
    });
  }
}
