/**
 * Which allergens an order line carries: its item's and those its chosen options add, from
 * the menu (order lines keep names and options, not allergens). Pure; the kitchen page builds
 * the index on the server and again in the island when a line names an item it does not know.
 */
import type { Allergen } from "../schemas.ts";

/** Allergens by menu item id (every item of the menu, none for none) and by option id. */
export interface AllergenIndex {
  items: Record<string, string[]>;
  options: Record<string, string[]>;
}

/** The index of a menu's items (as `GET /api/menu` or the catalog holds them). */
export function allergenIndex(
  items: readonly {
    id: string;
    allergens: readonly string[];
    optionGroups: readonly { options: readonly { id: string; allergens: readonly string[] }[] }[];
  }[],
): AllergenIndex {
  const index: AllergenIndex = { items: {}, options: {} };
  for (const item of items) {
    index.items[item.id] = [...item.allergens];
    for (const group of item.optionGroups) {
      for (const option of group.options) {
        if (option.allergens.length) index.options[option.id] = [...option.allergens];
      }
    }
  }
  return index;
}

/** A line's allergens, each once, in the order met; `null` when its item is not in the index. */
export function lineAllergens(
  index: AllergenIndex,
  line: { menuItemId: string; options?: readonly { optionId: string }[] },
): (Allergen | string)[] | null {
  const own = index.items[line.menuItemId];
  if (!own) return null;
  const all = new Set(own);
  for (const option of line.options ?? []) {
    for (const a of index.options[option.optionId] ?? []) all.add(a);
  }
  return [...all];
}
