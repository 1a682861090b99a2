/**
 * The editor's pure parts: prices typed as decimals and read exactly (lib/pages/format.ts
 * parsePrice, priceInput), the form's body (islands/menu_editor/draft.ts), where a server detail
 * is shown (fieldOf), and the analytics page's days (lib/pages/analytics_days.ts).
 */
import assert from "node:assert/strict";
import { currencyDigits, parsePrice, priceInput } from "../../lib/pages/format.ts";
import {
  bodyOf,
  draftOf,
  editBody,
  fieldOf,
  fieldPaths,
  keepLiveAvailability,
  newDraft,
  newGroup,
} from "../../islands/menu_editor/draft.ts";
import { pickedDays, rangeOfDays } from "../../lib/pages/analytics_days.ts";
import type { MenuItem } from "../../lib/schemas.ts";

Deno.test("[pages] parsePrice() and priceInput()", async (t) => {
  await t.step("decimals in the currency's minor units, exactly", () => {
    assert.equal(parsePrice("12.50", "EUR"), 1250);
    assert.equal(parsePrice("12,5", "EUR"), 1250);
    assert.equal(parsePrice(" 0.29 ", "EUR"), 29); // 0.29 * 100 is 28.999… as a float
    assert.equal(parsePrice("1.005", "KWD"), 1005);
    assert.equal(parsePrice("1500", "JPY"), 1500);
    assert.equal(parsePrice("7", "EUR"), 700);
    assert.equal(parsePrice("4.", "EUR"), 400);
  });
  await t.step("signs only where allowed", () => {
    assert.equal(parsePrice("-1.00", "EUR"), null);
    assert.equal(parsePrice("-1.00", "EUR", { signed: true }), -100);
    assert.equal(parsePrice("−0.50", "EUR", { signed: true }), -50);
    assert.equal(parsePrice("+2", "EUR", { signed: true }), 200);
  });
  await t.step("anything else is not an amount", () => {
    for (const text of ["", "12.5.0", "1.234", "1,234.50", "€12", "12e2", "abc", "1.5", "."]) {
      const currency = text === "1.5" ? "JPY" : "EUR";
      assert.equal(parsePrice(text, currency), null, JSON.stringify(text));
    }
  });
  await t.step("priceInput() writes what parsePrice() reads back", () => {
    assert.equal(currencyDigits("EUR"), 2);
    for (const cents of [0, 5, 29, 1250, 100_000_000, -100]) {
      assert.equal(parsePrice(priceInput(cents, "EUR"), "EUR", { signed: true }), cents);
    }
    assert.equal(priceInput(1250, "EUR"), "12.50");
    assert.equal(priceInput(5, "EUR"), "0.05");
    assert.equal(priceInput(-100, "EUR"), "-1.00");
    assert.equal(priceInput(1500, "JPY"), "1500");
    assert.equal(priceInput(123456, "EUR", "de"), "1234,56");
    assert.equal(parsePrice(priceInput(123456, "EUR", "de"), "EUR"), 123456);
  });
});

Deno.test("[pages] the menu editor's draft", async (t) => {
  const item: MenuItem = {
    id: "i1",
    name: "Burger",
    description: "Beef",
    priceCents: 1450,
    category: "Mains",
    available: true,
    allergens: ["gluten"],
    dietary: ["spicy"],
    station: "grill",
    prepMinutes: 12,
    optionGroups: [{
      id: "g1",
      name: "Extras",
      min: 0,
      max: 2,
      translations: { de: { name: "Extras" } },
      options: [{
        id: "o1",
        name: "Bacon",
        priceDeltaCents: 200,
        available: false,
        allergens: [],
        translations: { de: { name: "Speck" } },
      }],
    }],
    translations: { de: { name: "Burger", description: "Rind" } },
  };
  const options = { currency: "EUR", languages: ["en", "de"], notAPrice: "not a price" };

  await t.step("a stored item round-trips through the form unchanged", () => {
    const made = bodyOf(draftOf(item, "EUR"), options);
    assert.deepEqual(made.body, {
      name: "Burger",
      description: "Beef",
      priceCents: 1450,
      category: "Mains",
      available: true,
      allergens: ["gluten"],
      dietary: ["spicy"],
      station: "grill",
      prepMinutes: 12,
      optionGroups: [{
        id: "g1",
        name: "Extras",
        min: 0,
        max: 2,
        translations: { de: { name: "Extras" } },
        options: [{
          id: "o1",
          name: "Bacon",
          priceDeltaCents: 200,
          available: false,
          allergens: [],
          translations: { de: { name: "Speck" } },
        }],
      }],
      translations: { de: { name: "Burger", description: "Rind" } },
    });
  });

  await t.step("an edit that empties the preparation time removes it (null)", () => {
    const draft = { ...draftOf(item, "EUR"), prepMinutes: " " };
    assert.equal(bodyOf(draft, options).body?.prepMinutes, null);
  });

  await t.step("a new item sends no prepMinutes and no ids", () => {
    const draft = { ...newDraft("Mains"), name: "Soup", price: "6.5", groups: [newGroup()] };
    const body = bodyOf(draft, options).body!;
    assert.equal("prepMinutes" in body, false);
    assert.equal(body.priceCents, 650);
    assert.deepEqual(body.optionGroups, [{
      name: "",
      min: 0,
      max: 1,
      options: [{ name: "", priceDeltaCents: 0, available: true, allergens: [] }],
    }]);
    assert.deepEqual(body.translations, {});
  });

  await t.step("numbers the form cannot read go to the server as typed", () => {
    const draft = { ...draftOf(item, "EUR") };
    draft.groups = [{ ...draft.groups[0], min: "two" }];
    const group = (bodyOf(draft, options).body!.optionGroups as { min: unknown }[])[0];
    assert.equal(group.min, "two");
  });

  await t.step("an unreadable price is refused at its own path, nothing sent", () => {
    const draft = draftOf(item, "EUR");
    draft.price = "12.5.0";
    draft.groups[0].options[0].delta = "x";
    assert.deepEqual(bodyOf(draft, options), {
      body: null,
      errors: [
        { path: "priceCents", message: "not a price" },
        { path: "optionGroups.0.options.0.priceDeltaCents", message: "not a price" },
      ],
    });
  });

  await t.step("availability the form did not change is taken as it is now", () => {
    const opened = draftOf(item, "EUR");
    const live: MenuItem = {
      ...item,
      available: false,
      optionGroups: [{
        ...item.optionGroups[0],
        options: [{ ...item.optionGroups[0].options[0], available: true }],
      }],
    };
    const untouched = { ...opened, description: "Beef, brioche" };
    const kept = keepLiveAvailability(bodyOf(untouched, options).body!, {
      draft: untouched,
      opened,
      live,
    });
    assert.equal(kept.available, false);
    assert.equal(kept.description, "Beef, brioche");
    const option = (kept.optionGroups as { options: { available: boolean }[] }[])[0].options[0];
    assert.equal(option.available, true);
    // Changed in the form: sent as changed.
    const changed = { ...opened, available: false };
    changed.groups = [{
      ...opened.groups[0],
      options: [{ ...opened.groups[0].options[0], available: true }],
    }];
    const sent = keepLiveAvailability(bodyOf(changed, options).body!, {
      draft: changed,
      opened,
      live: { ...item, available: true },
    });
    assert.equal(sent.available, false);
    assert.equal(
      (sent.optionGroups as { options: { available: boolean }[] }[])[0].options[0].available,
      true,
    );
  });

  await t.step("an edit sends only the fields the form changed", () => {
    const opened = draftOf(item, "EUR");
    const openedBody = bodyOf(opened, options).body!;
    const live: MenuItem = {
      ...item,
      available: false,
      priceCents: item.priceCents + 100,
      optionGroups: [{
        ...item.optionGroups[0],
        options: [{ ...item.optionGroups[0].options[0], available: true }],
      }],
    };
    assert.equal(editBody(openedBody, openedBody, { draft: opened, opened, live }), null);
    const described = { ...opened, description: "Beef, brioche" };
    assert.deepEqual(
      editBody(bodyOf(described, options).body!, openedBody, { draft: described, opened, live }),
      { description: "Beef, brioche" },
      "the price and availability changed elsewhere are not written back",
    );
    // A renamed option: the groups go, each option the form did not switch as it is now.
    const renamed = { ...opened };
    renamed.groups = [{
      ...opened.groups[0],
      options: [{ ...opened.groups[0].options[0], name: "Cheddar" }],
    }];
    const sent = editBody(bodyOf(renamed, options).body!, openedBody, {
      draft: renamed,
      opened,
      live,
    })!;
    assert.deepEqual(Object.keys(sent), ["optionGroups"]);
    const option = (sent.optionGroups as { options: { name: string; available: boolean }[] }[])[0]
      .options[0];
    assert.equal(option.name, "Cheddar");
    assert.equal(option.available, true, "the live availability");
  });

  await t.step("a detail is shown at its field, or the nearest one above it", () => {
    const fields = fieldPaths(draftOf(item, "EUR"), ["en", "de"]);
    assert.equal(fieldOf("optionGroups.0.min", fields), "optionGroups.0.min");
    assert.equal(fieldOf("dietary.1", fields), "dietary");
    assert.equal(fieldOf("optionGroups.3", fields), "optionGroups");
    assert.equal(fieldOf("translations.de.name", fields), "translations.de.name");
    assert.equal(fieldOf("translations.fr.name", fields), null);
    assert.equal(fieldOf("", fields), null);
  });
});

Deno.test("[pages] the analytics page's days", () => {
  const now = new Date("2026-12-02T10:00:00Z");
  assert.deepEqual(pickedDays({}, now), { fromDay: "2026-11-03", toDay: "2026-12-02" });
  assert.deepEqual(pickedDays({ from: "2026-01-01", to: "2026-01-31" }, now), {
    fromDay: "2026-01-01",
    toDay: "2026-01-31",
  });
  assert.equal(pickedDays({ from: "2026-02-30" }, now), null);
  assert.equal(pickedDays({ to: "yesterday" }, now), null);
  assert.deepEqual(rangeOfDays({ fromDay: "2026-01-01", toDay: "2026-01-31" }), {
    from: "2026-01-01T00:00:00.000Z",
    to: "2026-02-01T00:00:00.000Z",
  });
});
