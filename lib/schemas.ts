/**
 * The zod schemas of every resource and request body. They validate input and, through
 * `@hono/zod-openapi`, are the OpenAPI description: one definition for both.
 */
import { z } from "@hono/zod-openapi";
import { ORDER_STATUSES } from "./orders/lifecycle.ts";
import { ROLES } from "./auth/roles.ts";

const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

/** Limits of an order, from the contract. */
export const ORDER_LIMITS = {
  minLines: 1,
  maxLines: 100,
  minQuantity: 1,
  maxQuantity: 50,
  lineNoteMax: 200,
  orderNoteMax: 500,
} as const;

const id = z.string().min(1).max(64);
const isoTime = z.string().openapi({ format: "date-time", example: "2026-11-25T12:00:00.000Z" });
const name = z.string().trim().min(1).max(100);

export const OrderStatusSchema = z.enum(ORDER_STATUSES).openapi("OrderStatus");
export const RoleSchema = z.enum(ROLES).openapi("Role");
export const TableStatusSchema = z.enum(["available", "occupied", "reserved", "out_of_service"])
  .openapi("TableStatus");

// ---- resources -------------------------------------------------------------------------------

export const LocationSchema = z.object({
  id,
  slug: z.string(),
  name: z.string(),
  currency: z.string().openapi({ example: "EUR" }),
  defaultLanguage: z.string(),
  createdAt: isoTime,
}).openapi("Location");

export const MenuItemSchema = z.object({
  id,
  name: z.string(),
  description: z.string(),
  priceCents: z.number().int(),
  category: z.string(),
  available: z.boolean(),
  allergens: z.array(z.string()),
}).openapi("MenuItem");

export const MenuSchema = z.object({
  location: LocationSchema.pick({ id: true, slug: true, name: true, currency: true }),
  categories: z.array(z.object({ name: z.string(), itemIds: z.array(z.string()) })),
  items: z.array(MenuItemSchema),
}).openapi("Menu");

export const TableSchema = z.object({
  id,
  number: z.number().int(),
  seats: z.number().int(),
  status: TableStatusSchema,
  token: z.string().optional().openapi({ description: "Staff only: the QR token." }),
  qrUrl: z.string().optional().openapi({
    description: "Staff only: the guest URL in the QR code.",
  }),
}).openapi("Table");

export const OrderLineSchema = z.object({
  menuItemId: z.string(),
  name: z.string(),
  quantity: z.number().int(),
  unitPriceCents: z.number().int(),
  lineTotalCents: z.number().int(),
  note: z.string(),
}).openapi("OrderLine");

export const HistoryEntrySchema = z.object({
  status: OrderStatusSchema,
  at: isoTime,
  by: z.string().openapi({ description: '"guest", or the staff role and token id that moved it.' }),
}).openapi("HistoryEntry");

export const OrderSchema = z.object({
  id,
  locationId: id,
  tableId: id,
  tableNumber: z.number().int(),
  items: z.array(OrderLineSchema),
  note: z.string(),
  totalCents: z.number().int(),
  currency: z.string(),
  status: OrderStatusSchema,
  version: z.number().int().openapi({ description: "Starts at 1, +1 on every change." }),
  createdAt: isoTime,
  updatedAt: isoTime,
  history: z.array(HistoryEntrySchema),
}).openapi("Order");

export const CreatedOrderSchema = OrderSchema.extend({
  orderToken: z.string().openapi({ description: "Lets the guest read and follow this order." }),
}).openapi("CreatedOrder");

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
}).openapi("Error");

// ---- request bodies ----------------------------------------------------------------------------

export const CreateOrderInput = z.object({
  tableToken: z.string().min(1).max(200),
  items: z.array(z.object({
    menuItemId: z.string().min(1).max(64),
    quantity: z.number().int().min(ORDER_LIMITS.minQuantity).max(ORDER_LIMITS.maxQuantity),
    note: z.string().max(ORDER_LIMITS.lineNoteMax).optional(),
  })).min(ORDER_LIMITS.minLines).max(ORDER_LIMITS.maxLines),
  note: z.string().max(ORDER_LIMITS.orderNoteMax).optional(),
}).openapi("CreateOrder");
export type CreateOrderInput = z.infer<typeof CreateOrderInput>;

export const TransitionInput = z.object({ status: OrderStatusSchema }).openapi("OrderTransition");

const priceCents = z.number().int().min(0).max(100_000_000);
const allergens = z.array(z.string().trim().min(1).max(40)).max(20);

export const CreateMenuItemInput = z.object({
  name,
  description: z.string().trim().max(1000).default(""),
  priceCents,
  category: z.string().trim().min(1).max(60),
  available: z.boolean().default(true),
  allergens: allergens.default([]),
}).openapi("CreateMenuItem");
export type CreateMenuItemInput = z.infer<typeof CreateMenuItemInput>;

export const UpdateMenuItemInput = z.object({
  name: name.optional(),
  description: z.string().trim().max(1000).optional(),
  priceCents: priceCents.optional(),
  category: z.string().trim().min(1).max(60).optional(),
  available: z.boolean().optional(),
  allergens: allergens.optional(),
}).refine((v) => Object.values(v).some((x) => x !== undefined), {
  message: "Send at least one field to change.",
}).openapi("UpdateMenuItem");
export type UpdateMenuItemInput = z.infer<typeof UpdateMenuItemInput>;

const tableNumber = z.number().int().min(1).max(9999);
const seats = z.number().int().min(1).max(100);

export const CreateTableInput = z.object({ number: tableNumber, seats }).openapi("CreateTable");
export type CreateTableInput = z.infer<typeof CreateTableInput>;

export const UpdateTableInput = z.object({
  number: tableNumber.optional(),
  seats: seats.optional(),
  status: TableStatusSchema.optional(),
  rotateToken: z.literal(true).optional().openapi({
    description: "Issue a new QR token; the old one stops working at once.",
  }),
}).refine((v) => Object.values(v).some((x) => x !== undefined), {
  message: "Send at least one field to change.",
}).openapi("UpdateTable");
export type UpdateTableInput = z.infer<typeof UpdateTableInput>;

export const CreateLocationInput = z.object({
  slug: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, {
    message: "Use 1-64 lowercase letters, digits and inner hyphens.",
  }),
  name,
  currency: z.string().refine((c) => CURRENCIES.has(c), {
    message: "Use an ISO 4217 currency code such as EUR or USD.",
  }),
  defaultLanguage: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, {
    message: "Use a BCP 47 language tag such as en or de-CH.",
  }).default("en"),
}).openapi("CreateLocation");
export type CreateLocationInput = z.infer<typeof CreateLocationInput>;

export const CreateTokenInput = z.object({
  role: RoleSchema,
  label: z.string().trim().max(100).optional(),
  ttlSeconds: z.number().int().min(60).max(60 * 60 * 24 * 366).optional(),
  locationId: id.optional(),
}).openapi("CreateToken");
export type CreateTokenInput = z.infer<typeof CreateTokenInput>;

export const CreatedTokenSchema = z.object({
  token: z.string(),
  id,
  expiresAt: isoTime,
  role: RoleSchema,
  locationId: id,
  label: z.string(),
}).openapi("CreatedToken");

const StageTimeSchema = z.object({
  count: z.number().int(),
  p50Seconds: z.number().nullable(),
  p90Seconds: z.number().nullable(),
}).openapi("StageTime");

export const AnalyticsSummarySchema = z.object({
  from: isoTime,
  to: isoTime,
  currency: z.string().nullable(),
  totals: z.object({
    orders: z.number().int(),
    revenueCents: z.number().int(),
    averageOrderCents: z.number().int().nullable(),
  }),
  revenueByDay: z.array(z.object({
    day: z.string().openapi({ example: "2026-11-25" }),
    orders: z.number().int(),
    revenueCents: z.number().int(),
  })),
  revenueByHour: z.array(z.object({
    hour: isoTime,
    orders: z.number().int(),
    revenueCents: z.number().int(),
  })),
  items: z.array(z.object({
    menuItemId: z.string(),
    name: z.string(),
    quantity: z.number().int(),
    revenueCents: z.number().int(),
    orders: z.number().int(),
  })).openapi({ description: "By quantity sold, most first." }),
  options: z.array(z.object({
    groupId: z.string().nullable(),
    group: z.string().nullable(),
    optionId: z.string().nullable(),
    name: z.string().nullable(),
    quantity: z.number().int(),
    revenueCents: z.number().int().openapi({ description: "The options' price deltas." }),
  })),
  stageTimes: z.object({
    pendingToQueued: StageTimeSchema,
    queuedToReady: StageTimeSchema,
    readyToDelivered: StageTimeSchema,
  }),
  stations: z.array(StageTimeSchema.extend({ station: z.string() })).openapi({
    description: "queued → ready per station.",
  }),
  tables: z.array(z.object({
    tableId: z.string(),
    tableNumber: z.number().int(),
    orders: z.number().int(),
    revenueCents: z.number().int(),
  })),
  turnover: z.array(z.object({
    tableId: z.string(),
    tableNumber: z.number().int().nullable(),
    visits: z.number().int(),
    visitsPerDay: z.number(),
    averageVisitMinutes: z.number().nullable(),
    spendPerVisitCents: z.number().int().nullable(),
  })).openapi({ description: "From closed table visits." }),
  cancellations: z.object({
    orders: z.number().int(),
    cancelled: z.number().int(),
    cancelledCents: z.number().int(),
    rate: z.number(),
    fromPending: z.number().int(),
    fromQueued: z.number().int(),
  }),
}).openapi("AnalyticsSummary");

// ---- domain types ------------------------------------------------------------------------------

export type Location = z.infer<typeof LocationSchema>;
export type MenuItem = z.infer<typeof MenuItemSchema>;
export type Menu = z.infer<typeof MenuSchema>;
export type TableStatus = z.infer<typeof TableStatusSchema>;
export type OrderLine = z.infer<typeof OrderLineSchema>;
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
export type Order = z.infer<typeof OrderSchema>;

/** A table as stored (token always present; the public view drops it for guests). */
export interface Table {
  id: string;
  locationId: string;
  number: number;
  seats: number;
  status: TableStatus;
  token: string;
}
