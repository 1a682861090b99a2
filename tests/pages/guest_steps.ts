/**
 * What a guest does on the guest page in Chromium, shared by the page tests (guest, kitchen,
 * floor): opening the page, opening an item, choosing its required options, a note and a quantity, adding it.
 */
import type { Browser, Page } from "playwright-core";

/** Opens a table's guest page in a new context (360 px by default) and waits for its island. */
export async function openGuest(
  browser: Browser,
  base: string,
  tableToken: string,
  options: { width?: number; lang?: string } = {},
) {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 360, height: 780 },
    locale: options.lang ?? "en-GB",
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`${base}/t/${tableToken}`);
  await page.waitForSelector("[data-island] .guest");
  // Hydrated once the island's handlers answer: the filter panel opens from the island.
  await page.waitForFunction(() => document.querySelector("[data-island]")?.children.length);
  return { page, errors, close: () => context.close() };
}

/** Opens an item's sheet, picks the first available options its required groups need, adds it. */
export async function addItem(
  page: Page,
  itemId: string,
  extra: { note?: string; quantity?: number } = {},
) {
  await page.click(`li[data-item="${itemId}"] button.add`);
  await page.waitForSelector(".sheet");
  for (const group of await page.$$(".sheet fieldset.group")) {
    const rule = await group.textContent() ?? "";
    if (!/Required|Pflicht/.test(rule)) continue;
    const needed = Number(/(?:Choose|auswählen)\D*(\d+)/.exec(rule)?.[1] ?? 1);
    const inputs = await group.$$("input:not(:disabled)");
    for (let i = 0; i < needed; i++) {
      if (!(await inputs[i].isChecked())) await inputs[i].check();
    }
  }
  if (extra.note) await page.fill(".sheet textarea", extra.note);
  for (let i = 1; i < (extra.quantity ?? 1); i++) {
    await page.click('.sheet .stepper button[aria-label="More"]');
  }
  await page.click(".sheet button.primary");
  await page.waitForSelector(".sheet", { state: "detached" });
}
