/**
 * Orders as values: pricing from the server's own menu, creation, and moves.
 * Pure: the caller passes the clock and ids; nothing here touches the store.
 */
import { conflict, type ErrorDetail, invalid } from "../errors.ts";
import type { OrderStatus } from "./lifecycle.ts";
import type { CreateOrderInput, MenuItem, Order, OrderLine, Table } from "../schemas.ts";

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

/** The order after a move (already judged legal), one version on. */
export function moveOrder(order: Order, to: OrderStatus, by: string, now: Date): Order {
  const at = now.toISOString();
  return {
    ...order,
    status: to,
    version: order.version + 1,
    updatedAt: at,
    history: [...order.history, { status: to, at, by }],
  };
}

/**
 * The order as it was when created. An idempotent retry is answered with this, so it gets the
 * same body as the first response even after the order has moved on.
 */
export function asCreated(order: Order): Order {
  return {
    ...order,
    status: order.history[0].status,
    version: 1,
    updatedAt: order.createdAt,
    history: order.history.slice(0, 1),
  };
}
