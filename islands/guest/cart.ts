/**
 * The guest's cart as values (pure): lines of an item, chosen options, quantity and note; their
 * prices from the menu as the guest sees it (the server prices the order again from its own);
 * what is no longer orderable after a menu update; and the `POST /api/orders` body.
 */
import type { Menu, MenuViewItem } from "../../lib/schemas.ts";

/** One line of the cart. */
export interface CartLine {
  /** Stable within the cart, for keys and edits. */
  key: string;
  itemId: string;
  optionIds: string[];
  quantity: number;
  note: string;
}

/** Limits of the contract (`POST /api/orders`). */
export const MAX_QUANTITY = 50;
export const MAX_LINES = 100;
export const MAX_LINE_NOTE = 200;
export const MAX_ORDER_NOTE = 500;

/** The menu's items by id. */
export function itemsById(menu: Menu): Map<string, MenuViewItem> {
  return new Map(menu.items.map((item) => [item.id, item]));
}

/** A line's unit price: the item's plus its options' deltas; null when its item is gone. */
export function unitPrice(line: CartLine, items: Map<string, MenuViewItem>): number | null {
  const item = items.get(line.itemId);
  if (!item) return null;
  let cents = item.priceCents;
  for (const group of item.optionGroups) {
    for (const option of group.options) {
      if (line.optionIds.includes(option.id)) cents += option.priceDeltaCents;
    }
  }
  return cents;
}

/** The cart's total as the menu prices it now. */
export function cartTotal(lines: readonly CartLine[], items: Map<string, MenuViewItem>): number {
  let total = 0;
  for (const line of lines) total += (unitPrice(line, items) ?? 0) * line.quantity;
  return total;
}

/** The number of dishes in the cart. */
export function cartCount(lines: readonly CartLine[]): number {
  return lines.reduce((n, line) => n + line.quantity, 0);
}

/** The name of a line that cannot be ordered now (item or an option 86'd or gone), or null. */
export function unavailableReason(
  line: CartLine,
  items: Map<string, MenuViewItem>,
): string | null {
  const item = items.get(line.itemId);
  if (!item) return "?";
  if (!item.available) return item.name;
  for (const group of item.optionGroups) {
    for (const option of group.options) {
      if (line.optionIds.includes(option.id) && !option.available) {
        return `${item.name} (${option.name})`;
      }
    }
  }
  const known = new Set(item.optionGroups.flatMap((g) => g.options.map((o) => o.id)));
  return line.optionIds.every((id) => known.has(id)) ? null : item.name;
}

/** Whether a choice of options fits the item's groups (`min`/`max` of each). */
export function choiceFits(item: MenuViewItem, optionIds: readonly string[]): boolean {
  return item.optionGroups.every((group) => {
    const chosen = group.options.filter((o) => optionIds.includes(o.id)).length;
    return chosen >= group.min && chosen <= group.max;
  });
}

/** Adds a line, merging with an equal one (same item, options and note). */
export function addLine(lines: readonly CartLine[], line: CartLine): CartLine[] {
  const same = lines.find((l) =>
    l.itemId === line.itemId && l.note === line.note &&
    l.optionIds.join() === line.optionIds.join()
  );
  if (!same) return [...lines, line];
  return lines.map((l) =>
    l === same ? { ...l, quantity: Math.min(MAX_QUANTITY, l.quantity + line.quantity) } : l
  );
}

/** Sets a line's quantity; zero removes it. */
export function setQuantity(lines: readonly CartLine[], key: string, quantity: number): CartLine[] {
  if (quantity <= 0) return lines.filter((l) => l.key !== key);
  return lines.map((l) => l.key === key ? { ...l, quantity: Math.min(MAX_QUANTITY, quantity) } : l);
}

/** The `POST /api/orders` body for the cart. */
export function orderBody(tableToken: string, lines: readonly CartLine[], note: string) {
  return {
    tableToken,
    items: lines.map((line) => ({
      menuItemId: line.itemId,
      quantity: line.quantity,
      ...(line.optionIds.length ? { options: line.optionIds } : {}),
      ...(line.note.trim() ? { note: line.note.trim().slice(0, MAX_LINE_NOTE) } : {}),
    })),
    ...(note.trim() ? { note: note.trim().slice(0, MAX_ORDER_NOTE) } : {}),
  };
}

/** Items that pass the guest's filters: none of `avoid`'s allergens, every tag of `diets`. */
export function visibleItems(
  menu: Menu,
  avoid: readonly string[],
  diets: readonly string[],
): MenuViewItem[] {
  return menu.items.filter((item) =>
    !item.allergens.some((a) => avoid.includes(a)) &&
    diets.every((d) => item.dietary.includes(d))
  );
}
