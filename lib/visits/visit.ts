/**
 * Table visits (the bill), as values. A visit is derived from the table's orders: a table's
 * first order after its last close opens one, later orders join it, and the close records it.
 * Pure: the store reads the orders (lib/visits/store.ts).
 */
import { z } from "@hono/zod-openapi";
import type { Order } from "../schemas.ts";

export const VisitSchema = z.object({
  id: z.string().openapi({ description: "The id of the visit's first order." }),
  tableId: z.string(),
  tableNumber: z.number().int(),
  openedAt: z.string(),
  closedAt: z.string().nullable(),
  orders: z.array(z.string()).openapi({ description: "Order ids, in the order placed." }),
  totalCents: z.number().int().openapi({ description: "Cancelled orders excluded." }),
  currency: z.string(),
  status: z.enum(["open", "closed"]),
  closedBy: z.string().nullable(),
}).openapi("Visit");
/** A table visit. */
export type Visit = z.infer<typeof VisitSchema> & { locationId: string };

/** The open visit made of `orders` (in commit order, at least one). */
export function openVisit(orders: readonly Order[]): Visit {
  const first = orders[0];
  return {
    id: first.id,
    locationId: first.locationId,
    tableId: first.tableId,
    tableNumber: first.tableNumber,
    openedAt: first.createdAt,
    closedAt: null,
    orders: orders.map((o) => o.id),
    totalCents: billOf(orders),
    currency: first.currency,
    status: "open",
    closedBy: null,
  };
}

/** The bill of a visit's orders: every order's total but the cancelled ones'. */
export function billOf(orders: readonly Order[]): number {
  let total = 0;
  for (const order of orders) if (order.status !== "cancelled") total += order.totalCents;
  return total;
}

/** The statuses an order of a visit may be in for the visit to close. */
const SETTLED = new Set<Order["status"]>(["delivered", "closed", "cancelled"]);

/** The orders that keep a visit from closing (not yet delivered, nor cancelled). */
export function unsettled(orders: readonly Order[]): Order[] {
  return orders.filter((order) => !SETTLED.has(order.status));
}

/** The visit as closed now by `by`. */
export function closedVisit(visit: Visit, by: string, now: Date): Visit {
  return { ...visit, status: "closed", closedAt: now.toISOString(), closedBy: by };
}
