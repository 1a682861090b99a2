/**
 * Shared test fixtures: a seeded in-memory service graph and random factories. Not a test file.
 */
import type { Principal } from "../lib/auth/principal.ts";
import { type Config, loadConfig } from "../lib/config.ts";
import { listMenuItems } from "../lib/catalog/menu.ts";
import { requiredChoice } from "../lib/catalog/options.ts";
import type { Role } from "../lib/auth/roles.ts";
import type { Location, MenuItem, Order, Table } from "../lib/schemas.ts";
import { seedDemo } from "../lib/catalog/seed.ts";
import { closeServices, createServices, type Services } from "../lib/services.ts";
import { listTables } from "../lib/catalog/tables.ts";
import { createApp } from "../routes/app.ts";

/** The bootstrap (owner) token of every fixture. */
export const OWNER_TOKEN = "test-owner-token";

/** The principal of the bootstrap token, for issuing device tokens directly. */
export const BOOTSTRAP: Principal = {
  role: "owner",
  via: "bootstrap",
  id: "bootstrap",
  locations: "all",
  label: "bootstrap",
};

/** A seeded in-memory store with its services and app. */
export interface TestServices {
  kv: Deno.Kv;
  services: Services;
  app: ReturnType<typeof createApp>;
  config: Config;
  location: Location;
  close(): void;
}

/** Opens `:memory:` KV, seeds the demo location, and builds services and the app. */
export async function newTestServices(
  overrides: Record<string, string> = {},
): Promise<TestServices> {
  const kv = await Deno.openKv(":memory:");
  const location = (await seedDemo(kv))!;
  const config = loadConfig({
    SEATSERVE_KV_PATH: ":memory:",
    SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN,
    SEATSERVE_RATE_LIMIT: "off",
    ...overrides,
  });
  const services = await createServices(kv, config);
  const app = createApp(services);
  let closed = false;
  return {
    kv,
    services,
    app,
    config,
    location,
    close() {
      if (closed) return;
      closed = true;
      closeServices(services);
      kv.close();
    },
  };
}

/** The seeded location's tables, by number. */
export async function tablesOf(t: TestServices): Promise<Table[]> {
  return await listTables(t.kv, t.location.id);
}

/** The QR token of table `number` (default: a random seeded table). */
export async function tableToken(t: TestServices, number?: number): Promise<string> {
  const tables = await tablesOf(t);
  const table = number === undefined ? pick(tables) : tables.find((x) => x.number === number);
  if (!table) throw new Error(`no table ${number}`);
  return table.token;
}

/** The seeded menu items; `available` filters by availability when given. */
export async function menuItems(t: TestServices, available?: boolean): Promise<MenuItem[]> {
  const items = await listMenuItems(t.kv, t.location.id);
  return available === undefined ? items : items.filter((i) => i.available === available);
}

/** Ids of available menu items. */
export async function menuItemIds(t: TestServices): Promise<string[]> {
  return (await menuItems(t, true)).map((i) => i.id);
}

/** Available items that can be ordered without choosing options (no required group). */
export function withoutRequiredOptions(items: readonly MenuItem[]): MenuItem[] {
  return items.filter((i) => i.available && i.optionGroups.every((g) => g.min === 0));
}

/**
 * An order line for `item` that meets its rules: in each required group, its first available
 * options (`requiredChoice`). Throws when the item cannot be ordered.
 */
export function orderLine(
  item: MenuItem,
  quantity = 1,
  extra: { note?: string } = {},
): { menuItemId: string; quantity: number; options?: string[]; note?: string } {
  const options = requiredChoice(item);
  if (!item.available || !options) throw new Error(`"${item.name}" cannot be ordered`);
  return {
    menuItemId: item.id,
    quantity,
    ...(options.length ? { options } : {}),
    ...(extra.note !== undefined ? { note: extra.note } : {}),
  };
}

/** Issues a device token of `role` for the seeded location; returns the token and its id. */
export async function deviceToken(
  t: TestServices,
  role: Role,
  options: { ttlSeconds?: number; locationId?: string } = {},
): Promise<{ token: string; id: string }> {
  const { token, record } = await t.services.auth.issueDeviceToken(BOOTSTRAP, {
    role,
    locationId: options.locationId ?? t.location.id,
    ttlSeconds: options.ttlSeconds,
  });
  return { token, id: record.id };
}

/** Headers for a JSON request with an optional bearer token. */
export function jsonHeaders(token?: string, extra: Record<string, string> = {}) {
  return {
    "content-type": "application/json",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...extra,
  };
}

/** A random order body for a table: 1-3 lines of available items, with their required options. */
export async function randomOrderBody(
  t: TestServices,
  options: { tableToken?: string; lines?: number } = {},
) {
  const items = await menuItems(t, true);
  const lines = options.lines ?? 1 + randomInt(3);
  return {
    tableToken: options.tableToken ?? await tableToken(t),
    items: Array.from(
      { length: lines },
      () =>
        orderLine(
          pick(items),
          1 + randomInt(5),
          Math.random() < 0.5 ? { note: randomText(20) } : {},
        ),
    ),
    ...(Math.random() < 0.5 ? { note: randomText(40) } : {}),
  };
}

/** Places an order through the app as a guest; returns the created order with its token. */
export async function placeOrder(
  t: TestServices,
  options: { tableToken?: string; idempotencyKey?: string; lines?: number } = {},
): Promise<Order & { orderToken: string }> {
  const body = await randomOrderBody(t, options);
  const res = await t.app.request("/api/orders", {
    method: "POST",
    headers: jsonHeaders(
      undefined,
      options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {},
    ),
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`placeOrder: ${res.status} ${await res.text()}`);
  return await res.json();
}

/** Moves an order through the app with the owner token; returns the response. */
export async function patchOrder(
  t: TestServices,
  orderId: string,
  status: string,
  options: { token?: string; ifMatch?: string } = {},
): Promise<Response> {
  return await t.app.request(`/api/orders/${orderId}`, {
    method: "PATCH",
    headers: jsonHeaders(
      options.token ?? OWNER_TOKEN,
      options.ifMatch ? { "if-match": options.ifMatch } : {},
    ),
    body: JSON.stringify({ status }),
  });
}

/** A random integer in [0, n). */
export function randomInt(n: number): number {
  return Math.floor(Math.random() * n);
}

/** A random element. */
export function pick<T>(values: readonly T[]): T {
  return values[randomInt(values.length)];
}

/** Random printable text of `length` characters. */
export function randomText(length: number): string {
  const chars = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789éü";
  return Array.from({ length }, () => pick([...chars])).join("");
}

/** A random idempotency key. */
export function randomKey(): string {
  return `key-${crypto.randomUUID()}`;
}
