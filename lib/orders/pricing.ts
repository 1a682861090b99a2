/**
 * New orders as values: lines priced from the server's own menu, the order they make, and the
 * size it will be stored at. Pure: the caller passes the clock and ids; nothing here touches the
 * store.
 */
import { encodeJson } from "../kv/codec.ts";
import { conflict, type ErrorDetail, invalid, tooLarge } from "../errors.ts";
import type { CreateOrderInput, MenuItem, Order, OrderLine, Table } from "../schemas.ts";

/**
 * The most bytes a new order may take as stored. A KV value holds 64 KiB and the order is one
 * value (and one change in a feed entry); the rest is room for what its moves add to it.
 */
export const MAX_NEW_ORDER_BYTES = 56 * 1024;

/** Prices the requested lines with the menu's prices; any client price is never looked at. */
export function priceLines(
  requested: CreateOrderInput["items"],
  menu: ReadonlyMap<string, MenuItem>,
): { lines: OrderLine[]; totalCents: number } {
  const unknown: ErrorDetail[] = [];
  const unavailable: ErrorDetail[] = [];
  const lines: OrderLine[] = [];
  let totalCents = 0;
  requested.forEach((line, i) => {
    const item = menu.get(line.menuItemId);
    const path = `items.${i}.menuItemId`;
    if (!item) {
      unknown.push({ path, message: `No menu item "${line.menuItemId}".` });
      return;
    }
    if (!item.available) {
      unavailable.push({ path, message: `"${item.name}" is not available right now.` });
      return;
    }
    const lineTotalCents = item.priceCents * line.quantity;
    totalCents += lineTotalCents;
    lines.push({
      menuItemId: item.id,
      name: item.name,
      quantity: line.quantity,
      unitPriceCents: item.priceCents,
      lineTotalCents,
      note: line.note ?? "",
    });
  });
  if (unknown.length) {
    throw invalid("The order names items that are not on the menu.", unknown, "unknown_item");
  }
  if (unavailable.length) {
    throw conflict("item_unavailable", "Some items are not available right now.", unavailable);
  }
  return { lines, totalCents };
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
}

/** A freshly placed order: `pending`, version 1, its first history entry. */
export function newOrder(input: NewOrder): Order {
  const at = input.now.toISOString();
  return {
    id: input.id,
    locationId: input.table.locationId,
    tableId: input.table.id,
    tableNumber: input.table.number,
    items: input.lines,
    note: input.note,
    totalCents: input.totalCents,
    currency: input.currency,
    status: "pending",
    version: 1,
    createdAt: at,
    updatedAt: at,
    history: [{ status: "pending", at, by: "guest" }],
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
