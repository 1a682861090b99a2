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
  maxOptionsPerLine: 50,
} as const;

/** Limits of a menu item's options and texts. */
export const MENU_LIMITS = {
  maxGroups: 10,
  maxOptionsPerGroup: 30,
  maxChoices: 20,
  maxDeltaCents: 1_000_000,
  maxTags: 10,
} as const;

const id = z.string().min(1).max(64);
const isoTime = z.string().openapi({ format: "date-time", example: "2026-11-25T12:00:00.000Z" });
const name = z.string().trim().min(1).max(100);

/** The 14 allergens that EU Regulation 1169/2011 (Annex II) requires menus to declare. */
export const ALLERGENS = [
  "gluten",
  "crustaceans",
  "eggs",
  "fish",
  "peanuts",
  "soybeans",
  "milk",
  "nuts",
  "celery",
  "mustard",
  "sesame",
  "sulphites",
  "lupin",
  "molluscs",
] as const;
/** One of the 14 EU allergen codes. */
export type Allergen = typeof ALLERGENS[number];

/** Most languages a location offers, and most translations one text carries. */
export const MAX_LANGUAGES = 20;

/** A BCP 47 language tag such as `en` or `de-CH` (stored in canonical case). */
export const LANGUAGE_TAG = /^[a-zA-Z]{2,3}(-[A-Za-z0-9]{1,8})*$/;
const languageTag = z.string().max(35).regex(LANGUAGE_TAG, {
  message: "Use a BCP 47 language tag such as en or de-CH.",
}).refine(isLanguageTag, { message: "Use a BCP 47 language tag such as en or de-CH." });

function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

/** A lowercase tag of letters, digits and inner hyphens: dietary tags and station names. */
export const slugTag = z.string().max(32).regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, {
  message: "Use lowercase letters, digits and inner hyphens (e.g. gluten-free).",
});

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
  defaultLanguage: z.string().openapi({ example: "en" }),
  languages: z.array(z.string()).openapi({
    description: "The menu's languages, `defaultLanguage` first.",
    example: ["en", "de"],
  }),
  createdAt: isoTime,
}).openapi("Location");

export const AllergenSchema = z.enum(ALLERGENS).openapi("Allergen", {
  description: "One of the 14 EU allergen codes (Regulation 1169/2011, Annex II).",
});

const NameTranslationsSchema = z.record(z.string(), z.object({ name: z.string().optional() }))
  .openapi("NameTranslations", {
    description: 'By language tag: `{ "de": { "name": "…" } }`.',
  });

export const MenuOptionSchema = z.object({
  id,
  name: z.string(),
  priceDeltaCents: z.number().int().openapi({
    description: "Added to the item's price when chosen (negative lowers it).",
  }),
  available: z.boolean(),
  allergens: z.array(AllergenSchema).openapi({
    description: "Allergens this option adds to the item.",
  }),
  translations: NameTranslationsSchema.optional(),
}).openapi("MenuOption");

export const OptionGroupSchema = z.object({
  id,
  name: z.string(),
  min: z.number().int().openapi({ description: "Fewest options to choose; 1 or more: required." }),
  max: z.number().int().openapi({ description: "Most options to choose." }),
  options: z.array(MenuOptionSchema),
  translations: NameTranslationsSchema.optional(),
}).openapi("OptionGroup");

const ItemTranslationsSchema = z.record(
  z.string(),
  z.object({
    name: z.string().optional(),
    description: z.string().optional(),
    category: z.string().optional(),
  }),
).openapi("ItemTranslations", {
  description:
    'By language tag: `{ "de": { "name": "…", "description": "…", "category": "…" } }`; ' +
    "a missing field falls back to the default language.",
});

export const MenuItemSchema = z.object({
  id,
  name: z.string(),
  description: z.string(),
  priceCents: z.number().int(),
  category: z.string(),
  available: z.boolean(),
  allergens: z.array(AllergenSchema),
  dietary: z.array(z.string()).openapi({ example: ["vegetarian", "gluten-free"] }),
  station: z.string().openapi({ description: "Where it is prepared.", example: "kitchen" }),
  prepMinutes: z.number().int().optional(),
  optionGroups: z.array(OptionGroupSchema),
  translations: ItemTranslationsSchema,
}).openapi("MenuItem");

/** A menu item as a guest's menu shows it: in one language, without the translations. */
export const MenuViewItemSchema = MenuItemSchema.omit({ translations: true }).extend({
  optionGroups: z.array(
    OptionGroupSchema.omit({ translations: true }).extend({
      options: z.array(MenuOptionSchema.omit({ translations: true })),
    }),
  ),
}).openapi("MenuViewItem");

export const MenuSchema = z.object({
  location: LocationSchema.pick({
    id: true,
    slug: true,
    name: true,
    currency: true,
    defaultLanguage: true,
    languages: true,
  }),
  lang: z.string().openapi({ description: "The language of this menu's texts.", example: "en" }),
  categories: z.array(z.object({ name: z.string(), itemIds: z.array(z.string()) })),
  items: z.array(MenuViewItemSchema),
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

export const OrderLineOptionSchema = z.object({
  groupId: z.string(),
  group: z.string().openapi({ description: "The group's name when ordered." }),
  optionId: z.string(),
  name: z.string().openapi({ description: "The option's name when ordered." }),
  priceDeltaCents: z.number().int(),
}).openapi("OrderLineOption");

export const OrderLineSchema = z.object({
  menuItemId: z.string(),
  name: z.string(),
  quantity: z.number().int(),
  unitPriceCents: z.number().int().openapi({
    description: "The item's price plus its chosen options' deltas, when ordered.",
  }),
  lineTotalCents: z.number().int(),
  note: z.string(),
  options: z.array(OrderLineOptionSchema).openapi({
    description: "The chosen options as they were when ordered, in menu order.",
  }),
  station: z.string().openapi({ description: "The item's station when ordered." }),
  readyAt: isoTime.nullable().optional().openapi({
    description: "When the kitchen marked the line ready; null while it is not (absent only on " +
      "orders placed before line readiness existed).",
  }),
}).openapi("OrderLine");

export const HistoryEntrySchema = z.object({
  status: OrderStatusSchema,
  at: isoTime,
  by: z.string().openapi({
    description:
      '"guest", "system", or the staff role that moved it; staff also see the credential id ("server:<id>").',
  }),
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
  estimatedReadyAt: isoTime.nullable().optional().openapi({
    description: "Derived, never stored: when the order should be ready (open orders as read or " +
      "streamed; null once it has ended). Ready and delivered orders carry the time they became ready.",
  }),
}).openapi("Order");

/** An order as stored: the estimate is derived when it is read, never stored. */
export type StoredOrderValue = Omit<z.infer<typeof OrderSchema>, "estimatedReadyAt">;

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
    options: z.array(z.string().min(1).max(64)).max(ORDER_LIMITS.maxOptionsPerLine).optional()
      .openapi({ description: "Ids of the chosen options of the item's option groups." }),
  })).min(ORDER_LIMITS.minLines).max(ORDER_LIMITS.maxLines),
  note: z.string().max(ORDER_LIMITS.orderNoteMax).optional(),
}).openapi("CreateOrder", {
  example: {
    tableToken: "k3R9f0s2LqVn8XbQw1YzTa7P",
    items: [
      { menuItemId: "01M8SYFT89KFT0BJK5THSMJ3NC", quantity: 1, options: ["wtqv52bj5e"] },
      { menuItemId: "01M8SYFT883RH1HPCCTN801FVR", quantity: 2, note: "no onions" },
    ],
    note: "We share the starters",
  },
});
export type CreateOrderInput = z.infer<typeof CreateOrderInput>;

export const TransitionInput = z.object({ status: OrderStatusSchema }).openapi("OrderTransition", {
  example: { status: "queued" },
});

const priceCents = z.number().int().min(0).max(100_000_000);
const allergens = z.array(AllergenSchema).max(ALLERGENS.length).refine(unique, {
  message: "Name each allergen once.",
});
const dietary = z.array(slugTag).max(MENU_LIMITS.maxTags).refine(unique, {
  message: "Name each tag once.",
});
const description = z.string().trim().max(1000);
const category = z.string().trim().min(1).max(60);

function unique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

/** `{ "<lang>": {...} }` with at most `MAX_LANGUAGES` languages. */
function translationsOf<T extends z.ZodType>(texts: T) {
  return z.record(languageTag, texts).refine((r) => Object.keys(r).length <= MAX_LANGUAGES, {
    message: `At most ${MAX_LANGUAGES} languages.`,
  });
}

const nameTranslations = translationsOf(z.object({ name: name.optional() }));

export const OptionInput = z.object({
  id: id.optional().openapi({
    description: "Keep an existing option (its id); leave out to add a new one.",
  }),
  name,
  priceDeltaCents: z.number().int().min(-MENU_LIMITS.maxDeltaCents).max(
    MENU_LIMITS.maxDeltaCents,
  ).default(0),
  available: z.boolean().default(true),
  allergens: allergens.default([]),
  translations: nameTranslations.optional(),
}).openapi("OptionInput");

export const OptionGroupInput = z.object({
  id: id.optional().openapi({
    description: "Keep an existing group (its id); leave out to add a new one.",
  }),
  name,
  min: z.number().int().min(0).max(MENU_LIMITS.maxChoices).default(0),
  max: z.number().int().min(1).max(MENU_LIMITS.maxChoices).default(1),
  options: z.array(OptionInput).min(1).max(MENU_LIMITS.maxOptionsPerGroup),
  translations: nameTranslations.optional(),
}).superRefine((group, ctx) => {
  if (group.min > group.max) {
    ctx.addIssue({ code: "custom", path: ["min"], message: "`min` may not exceed `max`." });
  }
  if (group.min > group.options.length) {
    ctx.addIssue({
      code: "custom",
      path: ["min"],
      message: `\`min\` is ${group.min} but the group has ${group.options.length} options.`,
    });
  }
}).openapi("OptionGroupInput");
export type OptionGroupInput = z.infer<typeof OptionGroupInput>;

const optionGroups = z.array(OptionGroupInput).max(MENU_LIMITS.maxGroups);
const itemTranslations = translationsOf(z.object({
  name: name.optional(),
  description: description.optional(),
  category: category.optional(),
}));
const prepMinutes = z.number().int().min(0).max(600);

export const CreateMenuItemInput = z.object({
  name,
  description: description.default(""),
  priceCents,
  category,
  available: z.boolean().default(true),
  allergens: allergens.default([]),
  dietary: dietary.default([]),
  station: slugTag.min(1).default("kitchen"),
  prepMinutes: prepMinutes.optional(),
  optionGroups: optionGroups.default([]),
  translations: itemTranslations.default({}),
}).openapi("CreateMenuItem", {
  example: {
    name: "Cheeseburger",
    description: "Beef patty, cheddar, pickles",
    priceCents: 1450,
    category: "Mains",
    allergens: ["gluten", "milk", "mustard"],
    dietary: [],
    station: "grill",
    prepMinutes: 12,
    optionGroups: [{
      name: "Doneness",
      min: 1,
      max: 1,
      options: [{ name: "Medium", priceDeltaCents: 0 }, { name: "Well done", priceDeltaCents: 0 }],
    }, {
      name: "Extras",
      min: 0,
      max: 3,
      options: [{ name: "Bacon", priceDeltaCents: 200, allergens: [] }],
    }],
  },
});
export type CreateMenuItemInput = z.infer<typeof CreateMenuItemInput>;

export const UpdateMenuItemInput = z.object({
  name: name.optional(),
  description: description.optional(),
  priceCents: priceCents.optional(),
  category: category.optional(),
  available: z.boolean().optional(),
  allergens: allergens.optional(),
  dietary: dietary.optional(),
  station: slugTag.min(1).optional(),
  prepMinutes: prepMinutes.nullable().optional().openapi({ description: "`null` removes it." }),
  optionGroups: optionGroups.optional().openapi({
    description: "The whole list, replacing the item's: groups and options sent with their " +
      "`id` are kept (orders already placed keep what they were), those without one are added, " +
      "those left out are removed.",
  }),
  translations: itemTranslations.optional().openapi({
    description: "The whole map, replacing the item's.",
  }),
}).refine((v) => Object.values(v).some((x) => x !== undefined), {
  message: "Send at least one field to change.",
}).openapi("UpdateMenuItem", { example: { available: false } });
export type UpdateMenuItemInput = z.infer<typeof UpdateMenuItemInput>;

export const OptionAvailabilityInput = z.object({ available: z.boolean() }).openapi(
  "OptionAvailability",
);

const tableNumber = z.number().int().min(1).max(9999);
const seats = z.number().int().min(1).max(100);

export const CreateTableInput = z.object({ number: tableNumber, seats }).openapi("CreateTable", {
  example: { number: 14, seats: 4 },
});
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
  defaultLanguage: languageTag.default("en"),
  languages: z.array(languageTag).max(MAX_LANGUAGES).optional().openapi({
    description: "The menu's languages (`defaultLanguage` is always one of them).",
  }),
}).openapi("CreateLocation", {
  example: { slug: "harbour", name: "Harbour Kitchen", currency: "EUR", defaultLanguage: "en" },
});
export type CreateLocationInput = z.infer<typeof CreateLocationInput>;

export const UpdateLocationInput = z.object({
  name: name.optional(),
  languages: z.array(languageTag).max(MAX_LANGUAGES).optional().openapi({
    description: "The menu's languages. The default language stays (the items' own texts are " +
      "written in it) and comes first whether it is listed or not; translations of a language " +
      "taken out are kept, and served again if it comes back.",
  }),
}).strict().refine((v) => Object.values(v).some((x) => x !== undefined), {
  message: "Send at least one field to change.",
}).openapi("UpdateLocation", { example: { languages: ["en", "de", "fr"] } });
export type UpdateLocationInput = z.infer<typeof UpdateLocationInput>;

export const CreateTokenInput = z.object({
  role: RoleSchema,
  label: z.string().trim().max(100).optional(),
  ttlSeconds: z.number().int().min(60).max(60 * 60 * 24 * 366).optional(),
  locationId: id.optional(),
}).openapi("CreateToken", {
  example: { role: "kitchen", label: "Grill screen", ttlSeconds: 7776000 },
});
export type CreateTokenInput = z.infer<typeof CreateTokenInput>;

export const CreatedTokenSchema = z.object({
  token: z.string(),
  id,
  expiresAt: isoTime,
  role: RoleSchema,
  locationId: id,
  label: z.string(),
}).openapi("CreatedToken");

export const DeviceTokenSchema = z.object({
  id,
  role: RoleSchema,
  label: z.string(),
  createdAt: isoTime,
  expiresAt: isoTime,
  active: z.boolean().openapi({
    description: "False once past `expiresAt` (the store drops such records soon after). " +
      "A revoked token is not listed at all.",
  }),
}).openapi("DeviceToken");

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
export type OptionGroup = z.infer<typeof OptionGroupSchema>;
export type MenuOption = z.infer<typeof MenuOptionSchema>;
export type MenuViewItem = z.infer<typeof MenuViewItemSchema>;
export type Menu = z.infer<typeof MenuSchema>;
export type OrderLineOption = z.infer<typeof OrderLineOptionSchema>;
export type TableStatus = z.infer<typeof TableStatusSchema>;
export type OrderLine = z.infer<typeof OrderLineSchema>;
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
export type Order = StoredOrderValue;
/** An order as answered: with its derived `estimatedReadyAt`. */
export type OrderView = z.infer<typeof OrderSchema>;

/** A table as stored (token always present; the public view drops it for guests). */
export interface Table {
  id: string;
  locationId: string;
  number: number;
  seats: number;
  status: TableStatus;
  token: string;
}

export const MeSchema = z.object({
  role: RoleSchema,
  location: z.object({ id, slug: z.string(), name: z.string() }),
  via: z.enum(["session", "device", "bootstrap"]),
  email: z.string().optional(),
  csrfToken: z.string().optional().openapi({
    description: "For a session: send it as `X-CSRF-Token` with every state change.",
  }),
}).openapi("Me");

/** A staff directory email: trimmed, lower case, a plausible address. */
export const StaffEmail = z.string().trim().toLowerCase().max(254).pipe(z.email()).openapi({
  example: "ana@example.com",
});

export const StaffMemberSchema = z.object({
  email: z.string(),
  role: RoleSchema,
  name: z.string().optional(),
  addedAt: isoTime,
}).openapi("StaffMember");

export const PutStaffInput = z.object({
  role: RoleSchema,
  name: z.string().trim().min(1).max(100).optional(),
}).openapi("PutStaff");
export type PutStaffInput = z.infer<typeof PutStaffInput>;

export const AuditEntrySchema = z.object({
  id: z.string(),
  at: isoTime,
  actor: z.object({
    type: z.enum(["bootstrap", "device", "session", "anonymous", "operator"]).openapi({
      description: "`operator`: a command-line task on the server (`deno task keys:rotate`).",
    }),
    id: z.string(),
    role: RoleSchema.optional(),
    label: z.string().optional(),
    email: z.string().optional(),
  }),
  action: z.string().openapi({ example: "order.transition" }),
  target: z.object({ type: z.string(), id: z.string() }),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  requestId: z.string(),
  count: z.number().int().optional().openapi({
    description: "For a summary (`auth.credential_refused`, per address and minute): how many.",
  }),
  address: z.string().optional(),
}).openapi("AuditEntry");
