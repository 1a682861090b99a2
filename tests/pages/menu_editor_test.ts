/**
 * The admin menu editor (`/admin/menu`, routes/pages/admin_menu.tsx and
 * islands/menu_editor_page.tsx) in Chromium against the real server: 86 toggles for items and
 * options (seen by the API and by an open guest page), another screen's 86 arriving live,
 * creating an item with an option group and a German translation (priced with its delta when
 * ordered, its price typed as "12.50"), the server's 422 details next to their fields with
 * nothing changed, deleting with a confirmation, the page without scripts and in German,
 * axe-core and screenshots.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { call, expect, type Json, readMenu, readTables, startMain } from "../fixtures.ts";
import { assertAccessible } from "./axe.ts";
import { gzippedScript } from "./bundle_size.ts";
import { SCREENSHOTS, startBrowser } from "./browser_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "menu-editor-owner";

Deno.test("[menu editor] in Chromium", opts, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-menu-editor-" });
  const server = await startMain({
    SEATSERVE_KV_PATH: `${dir}/kv`,
    SEATSERVE_BOOTSTRAP_TOKEN: TOKEN,
  });
  const browser: Browser = await startBrowser();
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const tables = await readTables(server);
  const stored = async (): Promise<Json[]> =>
    expect(await call(server, "GET", "/api/menu/items", { token: TOKEN }), 200).items;
  const open = async (options: { width?: number; lang?: string; query?: string } = {}) => {
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
    await page.goto(`${server.base}/admin/menu?access_token=${TOKEN}${options.query ?? ""}`);
    await page.waitForSelector(".menu-editor[data-hydrated]");
    return { page, errors, close: () => context.close() };
  };
  const menu = await readMenu(server);
  const plain = menu.items.find((i: Json) => i.available && i.optionGroups.length === 0);
  const withOption = menu.items.find((i: Json) =>
    i.available &&
    i.optionGroups.some((g: Json) => g.options.filter((o: Json) => o.available).length > 1)
  );
  const option = withOption.optionGroups.flatMap((g: Json) => g.options).find((o: Json) =>
    o.available
  );
  const itemSwitch = (id: string) => `li[data-item="${id}"] > .row-main button.switch`;
  const optionSwitch = (id: string) => `li[data-option="${id}"] button.switch`;
  const viewed = async (id: string, lang = "en") =>
    (await call(server, "GET", `/api/menu?location=demo&lang=${lang}`)).body.items.find((
      i: Json,
    ) => i.id === id);

  try {
    await t.step("86 an item: the API and an open guest page see it; un-86 it", async () => {
      const { page, errors, close } = await open();
      const guestContext = await browser.newContext({ viewport: { width: 360, height: 780 } });
      const guest = await guestContext.newPage();
      await guest.goto(`${server.base}/t/${tables[0].token}`);
      await guest.waitForSelector(`li.item[data-item="${plain.id}"] button.add`);
      await page.waitForTimeout(300); // the guest's menu stream is open

      assert.equal(await page.getAttribute(itemSwitch(plain.id), "aria-pressed"), "true");
      await page.click(itemSwitch(plain.id));
      await page.waitForSelector(`${itemSwitch(plain.id)}[aria-pressed="false"]`);
      assert.equal((await viewed(plain.id)).available, false);
      await guest.waitForSelector(`li.item.unavailable[data-item="${plain.id}"]`, {
        timeout: 3000,
      });
      assert.equal(await guest.$(`li[data-item="${plain.id}"] button.add`), null);
      assert.match(await page.textContent(".menu-status") ?? "", /is now 86'd/);
      await page.screenshot({ path: `${SCREENSHOTS}admin-menu-86-360.png` });

      await page.click(itemSwitch(plain.id));
      await page.waitForSelector(`${itemSwitch(plain.id)}[aria-pressed="true"]`);
      assert.equal((await viewed(plain.id)).available, true);
      await guest.waitForSelector(`li.item[data-item="${plain.id}"] button.add`, {
        timeout: 3000,
      });
      await guestContext.close();
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("86 an option, and bring it back", async () => {
      const { page, errors, close } = await open({ width: 1280 });
      await page.click(optionSwitch(option.id));
      await page.waitForSelector(`${optionSwitch(option.id)}[aria-pressed="false"]`);
      const optionOf = (item: Json) =>
        item.optionGroups.flatMap((g: Json) => g.options).find((o: Json) => o.id === option.id);
      assert.equal(optionOf(await viewed(withOption.id)).available, false);
      assert.equal((await viewed(withOption.id)).available, true, "the item stays on");
      await page.screenshot({ path: `${SCREENSHOTS}admin-menu-list-1280.png` });
      await page.click(optionSwitch(option.id));
      await page.waitForSelector(`${optionSwitch(option.id)}[aria-pressed="true"]`);
      assert.equal(optionOf(await viewed(withOption.id)).available, true);
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("another screen's 86 shows up live", async () => {
      const { page, close } = await open();
      expect(
        await call(server, "PATCH", `/api/menu/items/${plain.id}`, {
          token: TOKEN,
          body: { available: false },
        }),
        200,
      );
      await page.waitForSelector(`li.menu-row.unavailable[data-item="${plain.id}"]`, {
        timeout: 3000,
      });
      expect(
        await call(server, "PATCH", `/api/menu/items/${plain.id}`, {
          token: TOKEN,
          body: { available: true },
        }),
        200,
      );
      await page.waitForSelector(`${itemSwitch(plain.id)}[aria-pressed="true"]`);
      await close();
    });

    let created: Json;
    await t.step("create an item with an option group and a German translation", async () => {
      const { page, errors, close } = await open({ width: 1280 });
      await page.click("button.new-item");
      await page.waitForSelector("form.item-form");
      await page.fill("#f-name", "Harvest bowl");
      await page.fill("#f-description", "Roast squash, grains, herbs");
      await page.fill("#f-priceCents", "12.50");
      await page.fill("#f-category", "Specials");
      await page.fill("#f-station", "kitchen");
      await page.fill("#f-prepMinutes", "9");
      await page.fill("#f-dietary", "vegetarian");
      await page.check('input[name="allergen"][value="gluten"]');
      await page.check('input[name="allergen"][value="sesame"]');
      await page.click("button.add-group");
      await page.fill("#f-optionGroups-0-name", "Size");
      await page.fill("#f-optionGroups-0-min", "1");
      await page.fill("#f-optionGroups-0-max", "1");
      await page.fill("#f-optionGroups-0-options-0-name", "Regular");
      await page.click("button.add-option");
      await page.fill("#f-optionGroups-0-options-1-name", "Large");
      await page.fill("#f-optionGroups-0-options-1-priceDeltaCents", "2.25");
      await page.fill("#f-translations-de-name", "Herbstschüssel");
      await page.fill("#f-translations-de-description", "Kürbis, Getreide, Kräuter");
      await page.fill("#f-translations-de-category", "Spezialitäten");
      await page.fill("#f-optionGroups-0-translations-de-name", "Größe");
      await page.fill("#f-optionGroups-0-options-0-translations-de-name", "Normal");
      await page.fill("#f-optionGroups-0-options-1-translations-de-name", "Groß");
      await page.evaluate(() => document.querySelector(".item-form-panel")?.scrollTo(0, 0));
      await page.evaluate(() => scrollTo(0, 0));
      await page.screenshot({ path: `${SCREENSHOTS}admin-menu-form-1280.png` });
      await page.click("button.save");
      await page.waitForSelector("form.item-form", { state: "detached" });
      assert.match(await page.textContent(".menu-status") ?? "", /Saved “Harvest bowl”/);

      created = (await stored()).find((i) => i.name === "Harvest bowl");
      assert.ok(created, "the item is stored");
      assert.equal(created.priceCents, 1250, '"12.50" is 1250 cents');
      assert.equal(created.category, "Specials");
      assert.equal(created.prepMinutes, 9);
      assert.deepEqual(created.allergens.sort(), ["gluten", "sesame"]);
      assert.deepEqual(created.dietary, ["vegetarian"]);
      const [group] = created.optionGroups;
      assert.equal(created.optionGroups.length, 1);
      assert.deepEqual([group.name, group.min, group.max], ["Size", 1, 1]);
      assert.deepEqual(
        group.options.map((o: Json) => [o.name, o.priceDeltaCents, o.available]),
        [["Regular", 0, true], ["Large", 225, true]],
      );
      assert.deepEqual(created.translations, {
        de: {
          name: "Herbstschüssel",
          description: "Kürbis, Getreide, Kräuter",
          category: "Spezialitäten",
        },
      });
      const german = await viewed(created.id, "de");
      assert.equal(german.name, "Herbstschüssel");
      assert.equal(german.category, "Spezialitäten");
      assert.equal(german.optionGroups[0].name, "Größe");
      assert.deepEqual(german.optionGroups[0].options.map((o: Json) => o.name), [
        "Normal",
        "Groß",
      ]);
      // The new item is on the page, in its category.
      await page.waitForSelector(`li.menu-row[data-item="${created.id}"]`);

      // An order with the large option is priced with its delta.
      const order = expect(
        await call(server, "POST", "/api/orders", {
          body: {
            tableToken: tables[1].token,
            items: [{ menuItemId: created.id, quantity: 2, options: [group.options[1].id] }],
          },
        }),
        201,
      );
      assert.equal(order.items[0].unitPriceCents, 1250 + 225);
      assert.equal(order.totalCents, 2 * 1475);
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("bad input: the server's message next to the field; nothing changes", async () => {
      const before = (await stored()).find((i) => i.id === created.id);
      // What the server says of the same mistakes, sent directly.
      const refused = await call(server, "PATCH", `/api/menu/items/${created.id}`, {
        token: TOKEN,
        body: {
          name: "",
          optionGroups: [{
            name: "Size",
            min: 2,
            max: 1,
            options: [{ name: "Regular" }, { name: "Large" }],
          }],
        },
      });
      expect(refused, 422);
      const said = (path: string) =>
        refused.body.error.details.filter((d: Json) => d.path === path).map((d: Json) => d.message)
          .join(" ");
      assert.ok(said("name") && said("optionGroups.0.min"), JSON.stringify(refused.body));

      const { page, errors, close } = await open();
      await page.click(`li[data-item="${created.id}"] button.edit`);
      await page.waitForSelector("form.item-form");
      assert.equal(await page.inputValue("#f-priceCents"), "12.50");
      await page.fill("#f-name", "");
      await page.fill("#f-optionGroups-0-min", "2");
      await page.fill("#f-optionGroups-0-max", "1");
      await page.click("button.save");
      await page.waitForSelector('[data-path="name"] .field-error');
      assert.equal(await page.textContent('[data-path="name"] .field-error'), said("name"));
      assert.equal(
        await page.textContent('[data-path="optionGroups.0.min"] .field-error'),
        said("optionGroups.0.min"),
      );
      assert.equal(await page.getAttribute("#f-name", "aria-invalid"), "true");
      assert.match(await page.textContent(".form-refusal") ?? "", /not saved/);
      await page.locator('[data-path="optionGroups.0.min"]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SCREENSHOTS}admin-menu-errors-360.png` });
      assert.deepEqual((await stored()).find((i) => i.id === created.id), before);

      // A price the editor cannot read is stopped before it is sent.
      await page.fill("#f-name", "Harvest bowl");
      await page.fill("#f-optionGroups-0-min", "1");
      await page.fill("#f-priceCents", "12.5.0");
      await page.click("button.save");
      await page.waitForSelector('[data-path="priceCents"] .field-error');
      assert.match(
        await page.textContent('[data-path="priceCents"] .field-error') ?? "",
        /12\.50/,
      );
      assert.deepEqual((await stored()).find((i) => i.id === created.id), before);

      // Fixed, it saves: "13,05" (a comma) is 1305 cents, exactly.
      await page.fill("#f-priceCents", "13,05");
      await page.click("button.save");
      await page.waitForSelector("form.item-form", { state: "detached" });
      const after = (await stored()).find((i) => i.id === created.id);
      assert.equal(after.priceCents, 1305);
      assert.deepEqual(after.optionGroups.map((g: Json) => g.id), [before.optionGroups[0].id]);
      assert.deepEqual(after.translations, before.translations);
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("an 86 made elsewhere while the form is open survives its save", async () => {
      const { page, errors, close } = await open();
      await page.click(`li[data-item="${created.id}"] button.edit`);
      await page.waitForSelector("form.item-form");
      const large = created.optionGroups[0].options[1].id;
      expect(
        await call(server, "PATCH", `/api/menu/items/${created.id}`, {
          token: TOKEN,
          body: { available: false },
        }),
        200,
      );
      expect(
        await call(server, "PATCH", `/api/menu/items/${created.id}/options/${large}`, {
          token: TOKEN,
          body: { available: false },
        }),
        200,
      );
      await page.waitForSelector(`${optionSwitch(large)}[aria-pressed="false"]`);
      await page.waitForSelector(`${itemSwitch(created.id)}[aria-pressed="false"]`);
      await page.fill("#f-description", "Roast squash, spelt, herbs");
      await page.click("button.save");
      await page.waitForSelector("form.item-form", { state: "detached" });
      const after = (await stored()).find((i) => i.id === created.id);
      assert.equal(after.description, "Roast squash, spelt, herbs");
      assert.equal(after.available, false, "the item stays 86'd");
      assert.deepEqual(after.optionGroups[0].options.map((o: Json) => o.available), [true, false]);
      // Back on for the steps after this one.
      expect(
        await call(server, "PATCH", `/api/menu/items/${created.id}`, {
          token: TOKEN,
          body: { available: true },
        }),
        200,
      );
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("a price changed elsewhere while the form is open survives its save", async () => {
      const { page, errors, close } = await open();
      await page.click(`li[data-item="${created.id}"] button.edit`);
      await page.waitForSelector("form.item-form");
      const before = (await stored()).find((i) => i.id === created.id);
      expect(
        await call(server, "PATCH", `/api/menu/items/${created.id}`, {
          token: TOKEN,
          body: { priceCents: before.priceCents + 250 },
        }),
        200,
      );
      await page.fill("#f-description", "Squash, spelt, herbs, seeds");
      await page.click("button.save");
      await page.waitForSelector("form.item-form", { state: "detached" });
      const after = (await stored()).find((i) => i.id === created.id);
      assert.equal(after.description, "Squash, spelt, herbs, seeds");
      assert.equal(after.priceCents, before.priceCents + 250, "the other manager's price stays");
      assert.deepEqual(after.optionGroups, before.optionGroups);
      // Opened and saved without a change: nothing is sent, and the form says so.
      await page.click(`li[data-item="${created.id}"] button.edit`);
      await page.waitForSelector("form.item-form");
      await page.click("button.save");
      await page.waitForSelector("form.item-form", { state: "detached" });
      assert.match(await page.textContent(".menu-status") ?? "", /Nothing changed/);
      assert.deepEqual((await stored()).find((i) => i.id === created.id), after);
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("delete an item, after a confirmation", async () => {
      const { page, close } = await open();
      await page.click(`li[data-item="${created.id}"] button.edit`);
      await page.click("button.delete");
      await page.waitForSelector(".confirm[role=alertdialog]");
      assert.match(await page.textContent(".confirm") ?? "", /Delete “Harvest bowl”/);
      await page.click("button.confirm-no");
      await page.waitForSelector(".confirm", { state: "detached" });
      // Keyboard: Cancel closes the form and the focus goes back to the item's Edit button.
      await page.focus("button.cancel");
      await page.keyboard.press("Enter");
      await page.waitForSelector("form.item-form", { state: "detached" });
      // The focus moves back once the list has rendered without the form (a frame later).
      await page.waitForFunction(
        (id) => document.activeElement?.closest("li")?.getAttribute("data-item") === id,
        created.id,
        { timeout: 5_000 },
      );
      await page.focus(`li[data-item="${created.id}"] button.edit`);
      await page.keyboard.press("Enter");
      await page.waitForSelector("form.item-form");
      assert.ok((await stored()).some((i) => i.id === created.id), "kept");
      await page.click("button.delete");
      await page.click("button.confirm-yes");
      await page.waitForSelector(`li[data-item="${created.id}"]`, { state: "detached" });
      assert.equal((await stored()).some((i) => i.id === created.id), false);
      assert.match(await page.textContent(".menu-status") ?? "", /Deleted “Harvest bowl”/);
      await close();
    });

    await t.step("without scripts: the items and their switches are in the HTML", async () => {
      const cookie = await sessionCookie(server.base, TOKEN);
      const reply = await fetch(`${server.base}/admin/menu?lang=de`, { headers: { cookie } });
      assert.equal(reply.status, 200);
      const html = await reply.text();
      assert.match(html, /<html lang="de">/);
      assert.match(html, /<h1 class="admin-title">Speisekarte<\/h1>/);
      const items = await stored();
      for (const item of items) assert.ok(html.includes(`data-item="${item.id}"`), item.name);
      const off = items.find((i) => !i.available);
      assert.ok(off, "the demo menu has an 86'd item");
      assert.match(
        html,
        new RegExp(`data-item="${off.id}"[^]*?aria-pressed="false"`),
        "its switch is off",
      );
      assert.match(html, /<script type="module" src="\/assets\/menu_editor-[A-Z0-9]+\.js">/);
      assert.match(reply.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    });

    await t.step("in German by Accept-Language", async () => {
      const { page, errors, close } = await open({ lang: "de-DE" });
      assert.equal(await page.getAttribute("html", "lang"), "de");
      assert.equal(await page.textContent("h1.admin-title"), "Speisekarte");
      assert.match(await page.textContent(itemSwitch(plain.id)) ?? "", /Verfügbar/);
      await page.click(`li[data-item="${withOption.id}"] button.edit`);
      await page.waitForSelector("form.item-form");
      assert.match(await page.textContent("form.item-form legend") ?? "", /Allergene/);
      assert.equal(
        await page.inputValue("#f-priceCents"),
        (withOption.priceCents / 100).toFixed(2).replace(".", ","),
      );
      await page.screenshot({ path: `${SCREENSHOTS}admin-menu-de-360.png` });
      assert.deepEqual(errors, []);
      await close();
    });

    await t.step("a kitchen screen is refused the editor", async () => {
      const kitchen = expect(
        await call(server, "POST", "/api/auth/tokens", { token: TOKEN, body: { role: "kitchen" } }),
        201,
      );
      const cookie = await sessionCookie(server.base, kitchen.token);
      const reply = await fetch(`${server.base}/admin/menu`, { headers: { cookie } });
      assert.equal(reply.status, 403);
      await reply.body?.cancel();
    });

    await t.step("axe-core at 360 and 1920 px; no sideways scrolling", async () => {
      for (const width of [360, 1920]) {
        const { page, errors, close } = await open({ width });
        await assertAccessible(page, `the menu list at ${width} px`);
        await page.click(`li[data-item="${withOption.id}"] button.edit`);
        await page.waitForSelector("form.item-form");
        await page.fill("#f-optionGroups-0-max", "0");
        await page.click("button.save");
        await page.waitForSelector(".field-error");
        await assertAccessible(page, `the item form with errors at ${width} px`);
        await noSidewaysScroll(page, width);
        if (width === 360) {
          await page.locator(".field-error").first().scrollIntoViewIfNeeded();
          await page.screenshot({ path: `${SCREENSHOTS}admin-menu-form-360.png` });
        }
        await page.click("button.cancel");
        if (width === 360) {
          await page.screenshot({ path: `${SCREENSHOTS}admin-menu-list-360.png` });
        }
        assert.deepEqual(errors, []);
        await close();
      }
    });

    await t.step("the bundle: its gzipped size", async () => {
      const cookie = await sessionCookie(server.base, TOKEN);
      const html = await (await fetch(`${server.base}/admin/menu`, { headers: { cookie } })).text();
      const script = /src="(\/assets\/menu_editor-[A-Z0-9]+\.js)"/.exec(html)?.[1];
      assert.ok(script, "the page links its bundle");
      const bytes = await gzippedScript(server.base, script);
      console.log(`menu editor script, with its chunks: ${bytes} bytes gzipped`);
      assert.ok(bytes < 40 * 1024, `${bytes} bytes`);
    });
  } finally {
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

async function noSidewaysScroll(page: Page, width: number) {
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth
  );
  assert.equal(overflow, 0, `no sideways scrolling at ${width} px`);
}

/** A session cookie opened with `?access_token=` on a page (device sign-in). */
async function sessionCookie(base: string, token: string): Promise<string> {
  const opened = await fetch(`${base}/admin/menu?access_token=${token}`, { redirect: "manual" });
  await opened.body?.cancel();
  assert.equal(opened.status, 303);
  return (opened.headers.get("set-cookie") ?? "").split(";")[0];
}
