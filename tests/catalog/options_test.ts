/**
 * Menu items as the catalog writes them (lib/catalog/options.ts) and the write schemas
 * (lib/schemas.ts): server-made ids, ids kept across edits, the rules a stored item meets, the
 * 14 EU allergen codes, canonical translations, and items stored before options existed.
 */
import assert from "node:assert/strict";
import {
  MAX_MENU_ITEM_BYTES,
  newMenuItem,
  normalizeMenuItem,
  patchedMenuItem,
  requiredChoice,
  withOptionAvailability,
} from "../../lib/catalog/options.ts";
import { AppError } from "../../lib/errors.ts";
import {
  ALLERGENS,
  CreateMenuItemInput,
  type MenuItem,
  UpdateMenuItemInput,
} from "../../lib/schemas.ts";
import { statusOf } from "../../routes/error_response.ts";

const BURGER = {
  name: "Burger",
  priceCents: 1500,
  category: "Grill",
  allergens: ["gluten"],
  station: "grill",
  optionGroups: [
    {
      name: "Cooking",
      min: 1,
      max: 1,
      options: [{ name: "Medium" }, { name: "Well done" }],
      translations: { de: { name: "Garstufe" } },
    },
    {
      name: "Extras",
      max: 2,
      options: [
        { name: "Cheese", priceDeltaCents: 150, allergens: ["milk"] },
        { name: "Bacon", priceDeltaCents: 200, available: false },
      ],
    },
  ],
  translations: { DE: { name: "Burger", description: "Rindfleisch" } },
};

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
  assert.fail("expected a refusal");
}

/** The paths of the issues a schema finds in `value`. */
function issues(schema: typeof CreateMenuItemInput | typeof UpdateMenuItemInput, value: unknown) {
  const result = schema.safeParse(value);
  assert.equal(result.success, false, "expected the schema to refuse it");
  return result.error!.issues.map((i) => i.path.join("."));
}

Deno.test("[options] a new item", async (t) => {
  const item = newMenuItem("item-1", CreateMenuItemInput.parse(BURGER));

  await t.step("groups and options get ids; defaults are filled in; values kept", () => {
    const ids = item.optionGroups.flatMap((g) => [g.id, ...g.options.map((o) => o.id)]);
    assert.equal(new Set(ids).size, 6);
    for (const id of ids) assert.match(id, /^[0-9a-z]{10}$/);
    const strip = (i: MenuItem) => ({
      ...i,
      optionGroups: i.optionGroups.map(({ id: _, options, ...g }) => ({
        ...g,
        options: options.map(({ id: _, ...o }) => o),
      })),
    });
    assert.deepEqual(strip(item), {
      id: "item-1",
      name: "Burger",
      description: "",
      priceCents: 1500,
      category: "Grill",
      available: true,
      allergens: ["gluten"],
      dietary: [],
      station: "grill",
      optionGroups: [
        {
          name: "Cooking",
          min: 1,
          max: 1,
          options: [
            { name: "Medium", priceDeltaCents: 0, available: true, allergens: [] },
            { name: "Well done", priceDeltaCents: 0, available: true, allergens: [] },
          ],
          translations: { de: { name: "Garstufe" } },
        },
        {
          name: "Extras",
          min: 0,
          max: 2,
          options: [
            { name: "Cheese", priceDeltaCents: 150, available: true, allergens: ["milk"] },
            { name: "Bacon", priceDeltaCents: 200, available: false, allergens: [] },
          ],
        },
      ],
      // Translation keys are stored canonical: `DE` is `de`.
      translations: { de: { name: "Burger", description: "Rindfleisch" } },
    });
  });

  await t.step("ids sent on create are refused, each named", () => {
    const input = structuredClone(BURGER) as typeof BURGER & Record<string, unknown>;
    (input.optionGroups[0] as Record<string, unknown>).id = "g1";
    (input.optionGroups[1].options[0] as Record<string, unknown>).id = "o1";
    const error = refusal(() => newMenuItem("x", CreateMenuItemInput.parse(input)));
    assert.equal(statusOf(error), 422);
    assert.deepEqual(error.details?.map((d) => d.path), [
      "optionGroups.0.id",
      "optionGroups.1.options.0.id",
    ]);
  });

  await t.step("requiredChoice: the first available options of each required group", () => {
    assert.deepEqual(requiredChoice(item), [item.optionGroups[0].options[0].id]);
    const allOff = withOptionAvailability(
      withOptionAvailability(item, item.optionGroups[0].options[0].id, false)!,
      item.optionGroups[0].options[1].id,
      false,
    )!;
    assert.equal(requiredChoice(allOff), null);
  });

  await t.step("two translations of one language are refused", () => {
    const error = refusal(() =>
      newMenuItem(
        "x",
        CreateMenuItemInput.parse({
          ...BURGER,
          translations: { de: { name: "a" }, "DE": { name: "b" } },
        }),
      )
    );
    assert.equal(statusOf(error), 422);
    assert.deepEqual(error.details?.map((d) => d.path), ["translations.DE"]);
  });
});

Deno.test("[options] what a write may hold", async (t) => {
  await t.step("allergens: the 14 EU codes and nothing else, each once", () => {
    assert.equal(ALLERGENS.length, 14);
    CreateMenuItemInput.parse({ ...BURGER, allergens: [...ALLERGENS] });
    assert.deepEqual(issues(CreateMenuItemInput, { ...BURGER, allergens: ["egg"] }), [
      "allergens.0",
    ]);
    assert.deepEqual(issues(CreateMenuItemInput, { ...BURGER, allergens: ["milk", "shellfish"] }), [
      "allergens.1",
    ]);
    assert.deepEqual(issues(CreateMenuItemInput, { ...BURGER, allergens: ["milk", "milk"] }), [
      "allergens",
    ]);
    const option = structuredClone(BURGER);
    (option.optionGroups[1].options[0] as { allergens: string[] }).allergens = ["dairy"];
    assert.deepEqual(issues(CreateMenuItemInput, option), [
      "optionGroups.1.options.0.allergens.0",
    ]);
    assert.deepEqual(issues(UpdateMenuItemInput, { allergens: ["Milk"] }), ["allergens.0"]);
  });

  await t.step("groups: min ≤ max, min ≤ options, 1..30 options, 0..20 choices", () => {
    const withGroup = (group: Record<string, unknown>) => ({
      ...BURGER,
      optionGroups: [{ name: "G", options: [{ name: "a" }, { name: "b" }], ...group }],
    });
    CreateMenuItemInput.parse(withGroup({ min: 2, max: 2 }));
    assert.deepEqual(issues(CreateMenuItemInput, withGroup({ min: 2, max: 1 })), [
      "optionGroups.0.min",
    ]);
    assert.deepEqual(issues(CreateMenuItemInput, withGroup({ min: 3, max: 3 })), [
      "optionGroups.0.min",
    ]);
    assert.deepEqual(issues(CreateMenuItemInput, withGroup({ options: [] })), [
      "optionGroups.0.options",
    ]);
    assert.deepEqual(issues(CreateMenuItemInput, withGroup({ max: 0 })), ["optionGroups.0.max"]);
    assert.deepEqual(issues(CreateMenuItemInput, withGroup({ min: -1 })), ["optionGroups.0.min"]);
  });

  await t.step("dietary tags and stations: lowercase slugs; prepMinutes 0..600", () => {
    CreateMenuItemInput.parse({ ...BURGER, dietary: ["gluten-free", "vegan"], prepMinutes: 0 });
    assert.deepEqual(issues(CreateMenuItemInput, { ...BURGER, dietary: ["Vegan"] }), [
      "dietary.0",
    ]);
    assert.deepEqual(issues(CreateMenuItemInput, { ...BURGER, station: "Hot line" }), [
      "station",
    ]);
    assert.deepEqual(issues(CreateMenuItemInput, { ...BURGER, prepMinutes: 601 }), [
      "prepMinutes",
    ]);
  });

  await t.step("translations: language tags as keys", () => {
    assert.deepEqual(
      issues(CreateMenuItemInput, { ...BURGER, translations: { "not a tag": { name: "x" } } }),
      ["translations.not a tag"],
    );
  });

  await t.step("no choice of options may price the item below zero", () => {
    const cheap = (priceCents: number) =>
      CreateMenuItemInput.parse({
        ...BURGER,
        priceCents,
        optionGroups: [{
          name: "Size",
          min: 1,
          max: 1,
          options: [{ name: "Small", priceDeltaCents: -300 }, { name: "Large" }],
        }, {
          name: "Leave out",
          max: 2,
          options: [
            { name: "No side", priceDeltaCents: -200 },
            { name: "No sauce", priceDeltaCents: -50 },
            { name: "No bun", priceDeltaCents: -100 },
          ],
        }],
      });
    // Cheapest: Small (-300), then the two most negative of the optional group (-200, -100).
    newMenuItem("x", cheap(600));
    const error = refusal(() => newMenuItem("x", cheap(599)));
    assert.equal(statusOf(error), 422);
    assert.deepEqual(error.details?.map((d) => d.path), ["optionGroups"]);
    const item = newMenuItem("x", cheap(600));
    assert.throws(() => patchedMenuItem(item, { priceCents: 599 }), { code: "validation_failed" });
  });

  await t.step("an item too large for one KV value is a 413", () => {
    const long = "x".repeat(100);
    const options = Array.from({ length: 30 }, () => ({ name: long }));
    const input = CreateMenuItemInput.parse({
      ...BURGER,
      optionGroups: Array.from({ length: 10 }, () => ({ name: long, options })),
      translations: Object.fromEntries(
        ["de", "fr", "it", "es", "nl", "pt"].map((l) => [l, { name: long }]),
      ),
    });
    const error = refusal(() => newMenuItem("x", input));
    assert.equal(statusOf(error), 413);
    assert.equal(error.code, "menu_item_too_large");
    assert.ok(MAX_MENU_ITEM_BYTES < 60 * 1024);
  });
});

Deno.test("[options] edits keep what they keep", async (t) => {
  const item = newMenuItem("item-1", CreateMenuItemInput.parse(BURGER));
  const [cooking, extras] = item.optionGroups;

  await t.step("groups and options sent with ids keep them; new ones get ids; others go", () => {
    const patch = UpdateMenuItemInput.parse({
      optionGroups: [
        {
          id: extras.id,
          name: "Toppings",
          max: 3,
          options: [
            { id: extras.options[1].id, name: "Bacon", priceDeltaCents: 250 },
            { name: "Egg", priceDeltaCents: 100, allergens: ["eggs"] },
            // An option may move to another group and keep its id.
            { id: cooking.options[1].id, name: "Well done" },
          ],
        },
      ],
    });
    const changed = patchedMenuItem(item, patch);
    assert.equal(changed.optionGroups.length, 1);
    const [group] = changed.optionGroups;
    assert.equal(group.id, extras.id);
    assert.deepEqual(group.options.map((o) => [o.id, o.name, o.priceDeltaCents, o.available]), [
      [extras.options[1].id, "Bacon", 250, true],
      [group.options[1].id, "Egg", 100, true],
      [cooking.options[1].id, "Well done", 0, true],
    ]);
    assert.ok(
      ![cooking.id, extras.id, ...cooking.options.map((o) => o.id)].includes(
        group.options[1].id,
      ),
    );
    // Everything else is as it was.
    assert.deepEqual({ ...changed, optionGroups: [] }, { ...item, optionGroups: [] });
  });

  await t.step("an id the item does not have, or one sent twice, is refused", () => {
    const unknown = refusal(() =>
      patchedMenuItem(
        item,
        UpdateMenuItemInput.parse({
          optionGroups: [{ id: "nope", name: "G", options: [{ id: "nada", name: "a" }] }],
        }),
      )
    );
    assert.equal(statusOf(unknown), 422);
    assert.deepEqual(unknown.details?.map((d) => d.path), [
      "optionGroups.0.id",
      "optionGroups.0.options.0.id",
    ]);
    const twice = refusal(() =>
      patchedMenuItem(
        item,
        UpdateMenuItemInput.parse({
          optionGroups: [
            { id: cooking.id, name: "A", options: [{ id: cooking.options[0].id, name: "a" }] },
            { id: cooking.id, name: "B", options: [{ id: cooking.options[0].id, name: "b" }] },
          ],
        }),
      )
    );
    assert.deepEqual(twice.details?.map((d) => d.path), [
      "optionGroups.1.id",
      "optionGroups.1.options.0.id",
    ]);
  });

  await t.step("prepMinutes: set, then removed with null; other fields untouched", () => {
    const set = patchedMenuItem(item, { prepMinutes: 12 });
    assert.equal(set.prepMinutes, 12);
    const removed = patchedMenuItem(set, { prepMinutes: null });
    assert.equal("prepMinutes" in removed, false);
    assert.deepEqual(removed, item);
  });

  await t.step("withOptionAvailability: one option changes; an unknown id gives null", () => {
    const id = extras.options[1].id;
    const back = withOptionAvailability(item, id, true)!;
    assert.equal(back.optionGroups[1].options[1].available, true);
    assert.deepEqual(
      { ...back, optionGroups: back.optionGroups.map((g) => g.options.map((o) => o.id)) },
      { ...item, optionGroups: item.optionGroups.map((g) => g.options.map((o) => o.id)) },
    );
    assert.equal(item.optionGroups[1].options[1].available, false, "the input is unchanged");
    assert.equal(withOptionAvailability(item, "nope", false), null);
  });
});

Deno.test("[options] items stored before options existed are read with defaults", () => {
  const v1 = {
    id: "old",
    name: "Tiramisu",
    description: "",
    priceCents: 750,
    category: "Desserts",
    available: true,
    allergens: ["milk", "egg", "gluten"],
  } as unknown as MenuItem;
  assert.deepEqual(normalizeMenuItem(v1), {
    ...v1,
    allergens: ["milk", "eggs", "gluten"],
    dietary: [],
    station: "kitchen",
    optionGroups: [],
    translations: {},
  });
  const current = newMenuItem("new", CreateMenuItemInput.parse(BURGER));
  assert.equal(normalizeMenuItem(current), current, "a current item is returned as is");
});
