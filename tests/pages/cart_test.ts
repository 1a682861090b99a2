/** The guest cart (islands/guest/cart.ts): prices, merging, limits, 86'd lines, the order body. */
import assert from "node:assert/strict";
import type { Menu } from "../../lib/schemas.ts";
import {
  addLine,
  cartCount,
  type CartLine,
  cartTotal,
  choiceFits,
  itemsById,
  orderBody,
  setQuantity,
  unavailableReason,
  visibleItems,
} from "../../islands/guest/cart.ts";

const menu = {
  location: {
    id: "l",
    slug: "demo",
    name: "Demo",
    currency: "EUR",
    defaultLanguage: "en",
    languages: ["en"],
  },
  lang: "en",
  categories: [{ name: "Mains", itemIds: ["burger", "salad"] }],
  items: [
    {
      id: "burger",
      name: "Burger",
      description: "",
      priceCents: 1200,
      category: "Mains",
      available: true,
      allergens: ["gluten"],
      dietary: [],
      station: "grill",
      optionGroups: [
        {
          id: "done",
          name: "Doneness",
          min: 1,
          max: 1,
          options: [
            { id: "rare", name: "Rare", priceDeltaCents: 0, available: true, allergens: [] },
            { id: "well", name: "Well", priceDeltaCents: 0, available: true, allergens: [] },
          ],
        },
        {
          id: "extras",
          name: "Extras",
          min: 0,
          max: 2,
          options: [
            { id: "bacon", name: "Bacon", priceDeltaCents: 200, available: true, allergens: [] },
            { id: "egg", name: "Egg", priceDeltaCents: 150, available: false, allergens: ["eggs"] },
          ],
        },
      ],
    },
    {
      id: "salad",
      name: "Salad",
      description: "",
      priceCents: 900,
      category: "Mains",
      available: true,
      allergens: [],
      dietary: ["vegan"],
      station: "kitchen",
      optionGroups: [],
    },
  ],
} as unknown as Menu;

const line = (over: Partial<CartLine>): CartLine => ({
  key: crypto.randomUUID(),
  itemId: "burger",
  optionIds: ["rare"],
  quantity: 1,
  note: "",
  ...over,
});

Deno.test("[cart] prices with options, merging equal lines, quantities", () => {
  const items = itemsById(menu);
  let lines = addLine([], line({ optionIds: ["rare", "bacon"], quantity: 2 }));
  lines = addLine(lines, line({ optionIds: ["rare", "bacon"] }));
  lines = addLine(lines, line({ itemId: "salad", optionIds: [], note: "no dressing" }));
  assert.equal(lines.length, 2);
  assert.equal(lines[0].quantity, 3);
  assert.equal(cartTotal(lines, items), 3 * 1400 + 900);
  assert.equal(cartCount(lines), 4);
  lines = setQuantity(lines, lines[0].key, 60);
  assert.equal(lines[0].quantity, 50);
  lines = setQuantity(lines, lines[0].key, 0);
  assert.deepEqual(lines.map((l) => l.itemId), ["salad"]);
});

Deno.test("[cart] rules and what cannot be ordered now", () => {
  const items = itemsById(menu);
  const burger = items.get("burger")!;
  assert.equal(choiceFits(burger, []), false);
  assert.equal(choiceFits(burger, ["rare", "well"]), false);
  assert.equal(choiceFits(burger, ["rare", "bacon"]), true);
  assert.equal(unavailableReason(line({}), items), null);
  assert.equal(unavailableReason(line({ optionIds: ["rare", "egg"] }), items), "Burger (Egg)");
  assert.equal(unavailableReason(line({ optionIds: ["rare", "gone"] }), items), "Burger");
  assert.equal(unavailableReason(line({ itemId: "gone" }), items), "?");
  const soldOut = itemsById({
    ...menu,
    items: menu.items.map((i) => ({ ...i, available: false })),
  });
  assert.equal(unavailableReason(line({}), soldOut), "Burger");
});

Deno.test("[cart] the order body and the filters", () => {
  const body = orderBody("tok", [
    line({ optionIds: ["rare", "bacon"], note: "  crispy  " }),
    line({ itemId: "salad", optionIds: [], quantity: 2 }),
  ], " window seat ");
  assert.deepEqual(body, {
    tableToken: "tok",
    items: [
      { menuItemId: "burger", quantity: 1, options: ["rare", "bacon"], note: "crispy" },
      { menuItemId: "salad", quantity: 2 },
    ],
    note: "window seat",
  });
  assert.deepEqual(visibleItems(menu, ["gluten"], []).map((i) => i.id), ["salad"]);
  assert.deepEqual(visibleItems(menu, [], ["vegan"]).map((i) => i.id), ["salad"]);
  assert.deepEqual(visibleItems(menu, [], []).map((i) => i.id), ["burger", "salad"]);
});
