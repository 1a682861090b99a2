/**
 * New orders as values: lines priced from the server's own menu, the order they make, and the
 * size it will be stored at. Pure: the caller passes the clock and ids; nothing here touches the
 * store.
 */
import { encodeJson } from "../kv/codec.ts";
import { conflict, type ErrorDetail, invalid, tooLarge } from "../errors.ts";
import type {
  CreateOrderInput,
  MenuItem,
  MenuOption,
  OptionGroup,
  Order,
  OrderLine,
  OrderLineOption,
  Table,
} from "../schemas.ts";

/**
 * The most bytes a new order may take as stored. A KV value holds 64 KiB and the order is one
 * value (and one change in a feed entry); the rest is room for what its moves add to it.
 */
export const MAX_NEW_ORDER_BYTES = 56 * 1024;

/**
 * Prices the requested lines with the menu's prices; any client price is never looked at. A
 * line's unit price is its item's price plus the deltas of its chosen options, and the line keeps
 * the item's name, station and each option's group, name and delta as they are now, so a later
 * edit of the menu never changes a placed order.
 *
 * Refusals, every line's problems at once: an unknown item, or options breaking the item's rules
 * (an id that is not one of the item's options, one chosen twice, fewer than a group's `min` or
 * more than its `max`) are a 422 with `items.<i>.menuItemId` or `items.<i>.options` paths; when
 * there are none of those, an unavailable item or option is a 409.
 */
export function priceLines(
  requested: CreateOrderInput["items"],
  menu: ReadonlyMap<string, MenuItem>,
): { lines: OrderLine[]; totalCents: number } {
  const unknown: ErrorDetail[] = [];
  const badOptions: ErrorDetail[] = [];
  const unavailableItems: ErrorDetail[] = [];
  const unavailableOptions: ErrorDetail[] = [];
  const problems = { invalid: badOptions, unavailable: unavailableOptions };
  const lines: OrderLine[] = [];
  let totalCents = 0;
  requested.forEach((line, i) => {
    const item = menu.get(line.menuItemId);
    if (!item) {
      unknown.push({
        path: `items.${i}.menuItemId`,
        message: `No menu item "${line.menuItemId}".`,
      });
      return;
    }
    if (!item.available) {
      unavailableItems.push({
        path: `items.${i}.menuItemId`,
        message: `"${item.name}" is not available right now.`,
      });
    }
    const options = chooseOptions(item, line.options ?? NONE, i, problems);
    if (!options) return;
    let unitPriceCents = item.priceCents;
    for (const option of options) unitPriceCents += option.priceDeltaCents;
    const lineTotalCents = unitPriceCents * line.quantity;
    totalCents += lineTotalCents;
    lines.push({
      menuItemId: item.id,
      name: item.name,
      quantity: line.quantity,
      unitPriceCents,
      lineTotalCents,
      note: line.note ?? "",
      options,
      station: item.station,
      readyAt: null,
    });
  });
  if (unknown.length || badOptions.length) {
    throw invalid(
      unknown.length
        ? "The order names items that are not on the menu."
        : "Some lines' options do not fit their items.",
      [...unknown, ...badOptions],
      unknown.length ? "unknown_item" : "invalid_options",
    );
  }
  if (unavailableItems.length) {
    throw conflict(
      "item_unavailable",
      "Some items are not available right now.",
      [...unavailableItems, ...unavailableOptions],
    );
  }
  if (unavailableOptions.length) {
    throw conflict("option_unavailable", "Some options are not available right now.", [
      ...unavailableOptions,
    ]);
  }
  return { lines, totalCents };
}

const NONE: readonly string[] = [];

/** An option as the pricing sees it: its group, its place in menu order, its line entry. */
interface OptionPlace {
  option: MenuOption;
  group: OptionGroup;
  groupIndex: number;
  /** Its position among all the item's options, in menu order. */
  rank: number;
  /** What a line that chooses it stores (frozen: shared by every line that does). */
  line: Readonly<OrderLineOption>;
}

/** An item's options indexed for pricing. */
interface ItemOptions {
  places: Map<string, OptionPlace>;
  /** Whether some group has `min ≥ 1`. */
  required: boolean;
}

/** Built once per item object: items are immutable within a catalog snapshot. */
const indexes = new WeakMap<MenuItem, ItemOptions>();

function itemOptions(item: MenuItem): ItemOptions {
  let index = indexes.get(item);
  if (!index) {
    const places = new Map<string, OptionPlace>();
    let rank = 0;
    item.optionGroups.forEach((group, groupIndex) => {
      for (const option of group.options) {
        const line = Object.freeze({
          groupId: group.id,
          group: group.name,
          optionId: option.id,
          name: option.name,
          priceDeltaCents: option.priceDeltaCents,
        });
        places.set(option.id, { option, group, groupIndex, rank: rank++, line });
      }
    });
    index = { places, required: item.optionGroups.some((g) => g.min > 0) };
    indexes.set(item, index);
  }
  return index;
}

/**
 * The chosen options of line `lineIndex` as stored (in menu order), or null when they break the
 * item's rules (problems added to `problems.invalid`). Unavailable ones go to
 * `problems.unavailable`.
 */
function chooseOptions(
  item: MenuItem,
  chosen: readonly string[],
  lineIndex: number,
  problems: { invalid: ErrorDetail[]; unavailable: ErrorDetail[] },
): OrderLineOption[] | null {
  if (!chosen.length && !item.optionGroups.length) return [];
  const { places, required } = itemOptions(item);
  if (!chosen.length && !required) return [];
  const path = `items.${lineIndex}.options`;
  const picked: OptionPlace[] = [];
  const counts = new Array<number>(item.optionGroups.length).fill(0);
  let ok = true;
  let sorted = true;
  for (const id of chosen) {
    const place = places.get(id);
    if (!place) {
      problems.invalid.push({ path, message: `"${item.name}" has no option "${id}".` });
      ok = false;
    } else if (picked.includes(place)) {
      problems.invalid.push({ path, message: `"${place.option.name}" is chosen twice.` });
      ok = false;
    } else {
      if (picked.length && picked[picked.length - 1].rank > place.rank) sorted = false;
      picked.push(place);
      counts[place.groupIndex]++;
      if (!place.option.available) {
        problems.unavailable.push({
          path,
          message: `"${place.option.name}" is not available right now.`,
        });
      }
    }
  }
  item.optionGroups.forEach((group, g) => {
    if (counts[g] < group.min) {
      problems.invalid.push({
        path,
        message: group.min === group.max
          ? `Choose ${group.min} of "${group.name}".`
          : `Choose at least ${group.min} of "${group.name}".`,
      });
      ok = false;
    } else if (counts[g] > group.max) {
      problems.invalid.push({ path, message: `Choose at most ${group.max} of "${group.name}".` });
      ok = false;
    }
  });
  if (!ok) return null;
  if (!sorted) picked.sort((a, b) => a.rank - b.rank);
  return picked.map((place) => place.line);
}

/** What a new order is made from. */
export interface NewOrder {
  id: string;
  table: Table;
  currency: string;
  lines: OrderLine[];
  totalCents: number;
  note: string;
  now: Date;
  /** Created `queued` (the location's `autoAccept` setting). */
  autoAccept?: boolean;
}

/** A freshly placed order: `pending` (or `queued` when auto-accepted), version 1. */
export function newOrder(input: NewOrder): Order {
  const at = input.now.toISOString();
  // Auto-accept (a location setting): created queued, its history still starting with pending.
  const history: Order["history"] = input.autoAccept
    ? [{ status: "pending", at, by: "guest" }, { status: "queued", at, by: "system" }]
    : [{ status: "pending", at, by: "guest" }];
  return {
    id: input.id,
    locationId: input.table.locationId,
    tableId: input.table.id,
    tableNumber: input.table.number,
    items: input.lines,
    note: input.note,
    totalCents: input.totalCents,
    currency: input.currency,
    status: input.autoAccept ? "queued" : "pending",
    version: 1,
    createdAt: at,
    updatedAt: at,
    history,
  };
}

/**
 * The JSON bytes a new order is stored as (its row, its feed change and the guest's answer).
 * An order larger than `MAX_NEW_ORDER_BYTES` is refused before anything is written.
 */
export function encodeNewOrder(order: Order): Uint8Array {
  const json = encodeJson(order);
  if (json.length > MAX_NEW_ORDER_BYTES) {
    throw tooLarge(
      "This order is too large to store; split it into smaller orders.",
      "order_too_large",
    );
  }
  return json;
}
