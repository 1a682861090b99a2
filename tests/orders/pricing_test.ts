/**
 * Pricing with options (lib/orders/pricing.ts): every rule of an item's option groups at its
 * boundary (min, max, unknown, duplicate, an 86'd option, an option of another item), which
 * refusal wins, exact totals, and the stored line naming every option as it was.
 */
import assert from "node:assert/strict";
import { AppError } from "../../lib/errors.ts";
import { priceLines } from "../../lib/orders/pricing.ts";
import type { CreateOrderInput, MenuItem, OptionGroup } from "../../lib/schemas.ts";
import { statusOf } from "../../routes/error_response.ts";

function option(id: string, priceDeltaCents: number, available = true) {
  return { id, name: `Option ${id}`, priceDeltaCents, available, allergens: [] };
}

function group(
  id: string,
  limits: { min: number; max: number },
  options: OptionGroup["options"],
): OptionGroup {
  return { id, name: `Group ${id}`, ...limits, options };
}

function item(id: string, overrides: Partial<MenuItem> = {}): MenuItem {
  return {
    id,
    name: `Item ${id}`,
    description: "",
    priceCents: 1000,
    category: "Mains",
    available: true,
    allergens: [],
    dietary: [],
    station: "grill",
    optionGroups: [],
    translations: {},
    ...overrides,
  };
}

/** A burger: cooking (exactly 1), extras (0-3, one 86'd), sides (2-3, one negative delta). */
const BURGER = item("burger", {
  priceCents: 1550,
  optionGroups: [
    group("cook", { min: 1, max: 1 }, [option("rare", 0), option("medium", 0)]),
    group("extra", { min: 0, max: 3 }, [
      option("bacon", 200),
      option("cheese", 150),
      option("egg", 120),
      option("jalapeno", 90),
      option("truffle", 500, false),
    ]),
    group("side", { min: 2, max: 3 }, [
      option("fries", 0),
      option("salad", -100),
      option("slaw", 50),
      option("rings", 250),
    ]),
  ],
});
const SALAD = item("salad", {
  priceCents: 800,
  optionGroups: [group("add", { min: 0, max: 1 }, [option("feta", 250)])],
});
const MENU = new Map([BURGER, SALAD].map((i) => [i.id, i]));

type Line = CreateOrderInput["items"][number];
const burger = (options: string[], quantity = 1): Line => ({
  menuItemId: "burger",
  quantity,
  options,
});

function refusal(lines: Line[], menu = MENU): AppError {
  try {
    priceLines(lines, menu);
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
  assert.fail("expected a refusal");
}

function refused(lines: Line[], expected: { status: number; code: string; paths: string[] }) {
  const error = refusal(lines);
  assert.equal(statusOf(error), expected.status, error.message);
  assert.equal(error.code, expected.code);
  assert.deepEqual(error.details?.map((d) => d.path), expected.paths);
  return error;
}

const VALID = ["medium", "fries", "salad"];

Deno.test("[pricing] options: the rules of each group at their boundaries", async (t) => {
  await t.step("exactly one of a min 1 / max 1 group: 0 and 2 are refused, 1 is not", () => {
    const none = refused([burger(["fries", "salad"])], {
      status: 422,
      code: "invalid_options",
      paths: ["items.0.options"],
    });
    assert.equal(none.details![0].message, 'Choose 1 of "Group cook".');
    priceLines([burger(["rare", "fries", "salad"])], MENU);
    const two = refused([burger(["rare", "medium", "fries", "salad"])], {
      status: 422,
      code: "invalid_options",
      paths: ["items.0.options"],
    });
    assert.equal(two.details![0].message, 'Choose at most 1 of "Group cook".');
  });

  await t.step("a min 2 / max 3 group: 1 and 4 are refused, 2 and 3 are not", () => {
    const one = refused([burger(["rare", "fries"])], {
      status: 422,
      code: "invalid_options",
      paths: ["items.0.options"],
    });
    assert.equal(one.details![0].message, 'Choose at least 2 of "Group side".');
    priceLines([burger(["rare", "fries", "salad"])], MENU);
    priceLines([burger(["rare", "fries", "salad", "slaw"])], MENU);
    const four = refused([burger(["rare", "fries", "salad", "slaw", "rings"])], {
      status: 422,
      code: "invalid_options",
      paths: ["items.0.options"],
    });
    assert.equal(four.details![0].message, 'Choose at most 3 of "Group side".');
  });

  await t.step("an optional group: none and max are fine, max + 1 is refused", () => {
    priceLines([burger(VALID)], MENU);
    priceLines([burger([...VALID, "bacon", "cheese", "egg"])], MENU);
    refused([burger([...VALID, "bacon", "cheese", "egg", "jalapeno"])], {
      status: 422,
      code: "invalid_options",
      paths: ["items.0.options"],
    });
  });

  await t.step("an unknown id, and an option of another item, are unknown here", () => {
    const unknown = refused([burger([...VALID, "nope"])], {
      status: 422,
      code: "invalid_options",
      paths: ["items.0.options"],
    });
    assert.equal(unknown.details![0].message, '"Item burger" has no option "nope".');
    const foreign = refused([burger([...VALID, "feta"])], {
      status: 422,
      code: "invalid_options",
      paths: ["items.0.options"],
    });
    assert.equal(foreign.details![0].message, '"Item burger" has no option "feta".');
    refused([{ menuItemId: "salad", quantity: 1, options: ["bacon"] }], {
      status: 422,
      code: "invalid_options",
      paths: ["items.0.options"],
    });
  });

  await t.step("an option chosen twice is refused, even within the group's max", () => {
    const error = refused([burger([...VALID, "bacon", "bacon"])], {
      status: 422,
      code: "invalid_options",
      paths: ["items.0.options"],
    });
    assert.equal(error.details![0].message, '"Option bacon" is chosen twice.');
  });

  await t.step("options for an item without groups are refused; none are fine", () => {
    const plain = item("plain");
    const menu = new Map([[plain.id, plain]]);
    assert.throws(
      () => priceLines([{ menuItemId: "plain", quantity: 1, options: ["x"] }], menu),
      { code: "invalid_options" },
    );
    assert.equal(priceLines([{ menuItemId: "plain", quantity: 2 }], menu).totalCents, 2000);
    assert.equal(
      priceLines([{ menuItemId: "plain", quantity: 2, options: [] }], menu).totalCents,
      2000,
    );
  });

  await t.step("an 86'd option is a 409 option_unavailable naming its line", () => {
    const error = refused([burger(VALID), burger([...VALID, "truffle"])], {
      status: 409,
      code: "option_unavailable",
      paths: ["items.1.options"],
    });
    assert.equal(error.details![0].message, '"Option truffle" is not available right now.');
  });

  await t.step("a 422 anywhere wins over a 409; every line's problems are listed", () => {
    refused([burger([...VALID, "truffle"]), burger(["fries", "salad"])], {
      status: 422,
      code: "invalid_options",
      paths: ["items.1.options"],
    });
    refused([
      { menuItemId: "ghost", quantity: 1 },
      burger(["rare"]),
      burger([...VALID, "truffle"]),
    ], { status: 422, code: "unknown_item", paths: ["items.0.menuItemId", "items.1.options"] });
  });

  await t.step("an 86'd item with an 86'd option: item_unavailable, both named", () => {
    const off = { ...BURGER, available: false };
    const error = refusal([burger([...VALID, "truffle"])], new Map([[off.id, off]]));
    assert.equal(error.code, "item_unavailable");
    assert.deepEqual(error.details?.map((d) => d.path), ["items.0.menuItemId", "items.0.options"]);
  });
});

Deno.test("[pricing] options: exact totals, and the line as it was ordered", async (t) => {
  await t.step("unit = price + every chosen delta (negative included); totals exact", () => {
    const { lines, totalCents } = priceLines([
      burger(["bacon", "salad", "medium", "rings", "cheese"], 3),
      { menuItemId: "salad", quantity: 2, options: ["feta"], note: "no onions" },
      burger(["rare", "fries", "salad"], 1),
    ], MENU);
    const unit0 = 1550 + 200 + 150 + 0 - 100 + 250;
    const unit1 = 800 + 250;
    const unit2 = 1550 - 100;
    assert.deepEqual(lines.map((l) => [l.unitPriceCents, l.lineTotalCents]), [
      [unit0, unit0 * 3],
      [unit1, unit1 * 2],
      [unit2, unit2],
    ]);
    assert.equal(totalCents, unit0 * 3 + unit1 * 2 + unit2);
  });

  await t.step("the line names every option as it is now, in menu order, and the station", () => {
    const { lines } = priceLines([burger(["salad", "bacon", "medium", "fries"], 2)], MENU);
    assert.deepEqual(lines, [{
      menuItemId: "burger",
      name: "Item burger",
      quantity: 2,
      unitPriceCents: 1550 + 200 - 100,
      lineTotalCents: (1550 + 200 - 100) * 2,
      note: "",
      options: [
        {
          groupId: "cook",
          group: "Group cook",
          optionId: "medium",
          name: "Option medium",
          priceDeltaCents: 0,
        },
        {
          groupId: "extra",
          group: "Group extra",
          optionId: "bacon",
          name: "Option bacon",
          priceDeltaCents: 200,
        },
        {
          groupId: "side",
          group: "Group side",
          optionId: "fries",
          name: "Option fries",
          priceDeltaCents: 0,
        },
        {
          groupId: "side",
          group: "Group side",
          optionId: "salad",
          name: "Option salad",
          priceDeltaCents: -100,
        },
      ],
      station: "grill",
      readyAt: null,
    }]);
  });

  await t.step("a line is a copy: changing the menu afterwards leaves it as it was", () => {
    const menu = structuredClone(MENU);
    const { lines } = priceLines([burger(["rare", "fries", "slaw"])], menu);
    const before = structuredClone(lines);
    const changed = menu.get("burger")!;
    changed.priceCents = 1;
    changed.name = "Renamed";
    changed.optionGroups[2].options[2].priceDeltaCents = 999;
    changed.optionGroups[2].options[2].name = "Renamed slaw";
    changed.optionGroups[0].name = "Renamed group";
    assert.deepEqual(lines, before);
  });
});
