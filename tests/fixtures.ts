/**
 * Shared test fixtures: a seeded in-memory service graph; an HTTP client for it or for a real
 * server; checked writes that read back through the API what they created or changed and compare
 * every field; and random factories. They go through `app.request()` (or `fetch`) rather than
 * `lib/`, so tests follow the contract, not the code's layout. Not a test file.
 */
import assert from "node:assert/strict";
import { assertDescribed } from "./openapi_validator.ts";
import type { Principal } from "../lib/auth/principal.ts";
import type { AuditContext } from "../lib/audit/entry.ts";
import { type Config, loadConfig } from "../lib/config.ts";
import type { Role } from "../lib/auth/roles.ts";
import type { Location, MenuItem, Order } from "../lib/schemas.ts";
import { seedDemo } from "../lib/catalog/seed.ts";
import { firstLocation } from "../lib/catalog/locations.ts";
import { listMenuItems } from "../lib/catalog/menu.ts";
import { wrapStore } from "../lib/kv/store.ts";
import { closeServices, createServices, type Services } from "../lib/services.ts";
import { createApp } from "../routes/app.ts";
import { serveHandler } from "../routes/kept_answers.ts";

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

/** The audit context of direct writes as the bootstrap token (tests that call `lib/`). */
export const BOOTSTRAP_AUDIT: AuditContext = {
  actor: { type: "bootstrap", id: "bootstrap", role: "owner", label: "bootstrap" },
  requestId: "test",
  retentionMs: 24 * 60 * 60 * 1000,
  feedRetentionMs: 24 * 60 * 60 * 1000,
};

/** How the bootstrap token shows in an order's history. */
export const OWNER_BY = "owner:bootstrap";

/** A parsed response body; the asserts check its fields. */
// deno-lint-ignore no-explicit-any
export type Json = any;

/** Whatever answers HTTP requests: an app (`app.request`) or a real server (`fetch`). */
export interface Client {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

/** A SeatServe to call: its client, its owner token and its first location when known. */
export interface Api {
  app: Client;
  /** The bootstrap token (default `OWNER_TOKEN`). */
  ownerToken?: string;
  /** The location staff act on without `?location=` (default: the first one listed). */
  location?: { id: string; slug: string };
}

/** A real server at `base`, as a client (through `client`: one that trusts a test CA, say). */
export function serverClient(base: string, client?: Deno.HttpClient): Client {
  return {
    request: (path, init) => fetch(`${base}${path}`, { ...init, ...{ client } as RequestInit }),
  };
}

/** A table as staff see it. */
export interface StaffTable {
  id: string;
  number: number;
  seats: number;
  status: string;
  token: string;
  qrUrl: string;
}

/** A seeded in-memory store with its services and app. */
export interface TestServices extends Api {
  kv: Deno.Kv;
  services: Services;
  app: ReturnType<typeof createApp>;
  config: Config;
  location: Location;
  /** Another "process" on the same store: its own services and app, closed with this one. */
  otherProcess(): Promise<{ services: Services; app: ReturnType<typeof createApp> }>;
  close(): void;
}

/**
 * Settings that a test run may force on every store the tests open, from the environment:
 * `SEATSERVE_KV_LIMITS=remote` (a denokv server's limits, enforced) and
 * `SEATSERVE_TEST_COMMIT_DELAY_MS` (a remote store's latency). `deno task test:remote` sets them.
 */
const FORCED = Object.fromEntries(
  ["SEATSERVE_KV_LIMITS", "SEATSERVE_TEST_COMMIT_DELAY_MS"].flatMap((name) => {
    const value = Deno.env.get(name);
    return value ? [[name, value]] : [];
  }),
);

/**
 * Stream caps out of the way, as rate limits are (`SEATSERVE_RATE_LIMIT=off`): tests open
 * hundreds of streams with one token. Tests of the caps set their own.
 */
const NO_STREAM_CAPS = {
  SEATSERVE_STREAMS_PER_ORDER: "1000",
  SEATSERVE_STREAMS_PER_STAFF: "100000",
  SEATSERVE_STREAMS_PER_ADDRESS: "1000000",
};

/**
 * A test configuration: `:memory:`, the fixture owner token, no rate limits nor stream caps,
 * then `overrides` (`SEATSERVE_RATE_LIMIT: "on"` turns the limits on).
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    SEATSERVE_KV_PATH: ":memory:",
    SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN,
    SEATSERVE_RATE_LIMIT: "off",
    ...NO_STREAM_CAPS,
    ...FORCED,
    ...overrides,
  });
}

/** Opens the configured test store, with the limits the run forces (see `testConfig`). */
export async function openTestStore(config: Config): Promise<Deno.Kv> {
  return wrapStore(await Deno.openKv(config.kvPath), config);
}

/** Opens `:memory:` KV (or `SEATSERVE_KV_PATH`), seeds the demo, builds services and the app. */
export async function newTestServices(
  overrides: Record<string, string> = {},
): Promise<TestServices> {
  const config = testConfig(overrides);
  const kv = await openTestStore(config);
  const location = (await seedDemo(kv)) ?? (await firstLocation(kv))!;
  const services = await createServices(kv, config);
  const opened = [services];
  services.readiness.ready();
  let closed = false;
  return {
    kv,
    services,
    app: servedApp(services),
    config,
    location,
    ownerToken: overrides.SEATSERVE_BOOTSTRAP_TOKEN ?? OWNER_TOKEN,
    async otherProcess() {
      const other = await createServices(kv, config);
      other.readiness.ready();
      opened.push(other);
      return { services: other, app: servedApp(other) };
    },
    close() {
      if (closed) return;
      closed = true;
      for (const s of opened) closeServices(s);
      try {
        kv.close();
      } catch {
        // a test closed the store itself
      }
    },
  };
}

/**
 * The application as `main.ts` serves it: its `fetch` (and so `request`) goes through the
 * server's handler, kept answers ahead of the application.
 */
function servedApp(services: Services): ReturnType<typeof createApp> {
  const app = createApp(services);
  app.fetch = serveHandler(app, services) as typeof app.fetch;
  return app;
}

/** Runs `fn` on fresh test services and closes them whatever happens. */
export async function withServices(
  fn: (t: TestServices) => Promise<void>,
  overrides: Record<string, string> = {},
): Promise<void> {
  const t = await newTestServices(overrides);
  try {
    await fn(t);
  } finally {
    t.close();
  }
}

/** `main.ts` running as `deno task start` runs it, on a free port. */
export interface MainProcess extends Api {
  base: string;
  port: number;
  /** The HTTP client its requests go through (one trusting the test CA over https). */
  client?: Deno.HttpClient;
  /** Sends the process a signal (SIGHUP: reload the TLS files). */
  signal(signal: Deno.Signal): void;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM, then the exit code and how long the process took to exit. */
  stop(): Promise<{ code: number; ms: number }>;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** A port nothing listens on (now). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Starts `main.ts` with only the given settings (nothing inherited from this environment but what
 * Deno needs; rate limits off unless `env` sets `SEATSERVE_RATE_LIMIT=on`) on a free port (or
 * `env.PORT`) and waits until it is healthy. With `https` (the env then names TLS files) it is
 * reached at `https://localhost:<port>` through a client that trusts `https.caCert`.
 */
export async function startMain(
  env: Record<string, string>,
  options: { https?: { caCert: string } } = {},
): Promise<MainProcess> {
  // `PORT` given: that port (a test that must know the address first, such as an OpenID
  // provider's redirect, or a restart on the same port and store, as a client sees it).
  const port = env.PORT ? Number(env.PORT) : freePort();
  const base = options.https ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
  const client = options.https
    ? Deno.createHttpClient({ caCerts: [options.https.caCert] })
    : undefined;
  const inherited: Record<string, string> = {};
  for (const name of ["HOME", "PATH", "DENO_DIR", "TMPDIR", "NO_COLOR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "--unstable-cron", MAIN],
    cwd: new URL("..", import.meta.url),
    clearEnv: true,
    // Rate limits off unless the test sets them, as in `testConfig`: tests place orders fast.
    env: {
      ...inherited,
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      SEATSERVE_RATE_LIMIT: "off",
      ...NO_STREAM_CAPS,
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const collect = async (stream: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  };
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let exited = false;
  const status = child.status.finally(() => exited = true);

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      await collected;
      throw new Error(`the server exited before it was healthy:\n${text}`);
    }
    try {
      const response = await fetch(`${base}/api/health`, { client } as RequestInit);
      const body = await response.json();
      if (response.status === 200 && body.status === "ok") break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await status;
      await collected;
      throw new Error(`the server was not healthy within 30 s:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    base,
    port,
    client,
    app: serverClient(base, client),
    ownerToken: env.SEATSERVE_BOOTSTRAP_TOKEN,
    signal: (signal) => child.kill(signal),
    output: () => text,
    async stop() {
      const started = Date.now();
      if (!exited) child.kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = await Promise.race([
        status,
        new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 10_000)),
      ]);
      clearTimeout(timer);
      if (result === null) {
        child.kill("SIGKILL");
        await status;
        await collected;
        throw new Error(`the server did not exit within 10 s of SIGTERM:\n${text}`);
      }
      await collected;
      try {
        client?.close();
      } catch {
        // closed by an earlier stop
      }
      return { code: result.code, ms: Date.now() - started };
    },
  };
}

/** Registers a test named `name` that gets fresh test services, closed whatever happens. */
export function servicesTest(
  name: string,
  fn: (s: TestServices, t: Deno.TestContext) => Promise<void>,
  overrides: Record<string, string> = {},
): void {
  Deno.test(name, (t) => withServices((s) => fn(s, t), overrides));
}

// ---- calling the API ---------------------------------------------------------------------------

/** An answer, read whole. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: Json;
}

/** Options of `call`: a bearer token, a body (an object is sent as JSON), more headers. */
export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Sends one request and reads the answer whole (`body` is null when it is not JSON). */
export async function call(
  api: Api,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = {
    ...(options.body !== undefined ? jsonHeaders(options.token) : {}),
    ...(options.body === undefined && options.token
      ? { authorization: `Bearer ${options.token}` }
      : {}),
    ...options.headers,
  };
  const response = await api.app.request(path, {
    method,
    headers,
    body: options.body === undefined
      ? undefined
      : typeof options.body === "string"
      ? options.body
      : JSON.stringify(options.body),
  });
  return await readReply(method, path, response);
}

/**
 * An answer read whole (`body` null when it is not JSON: SVG, 304) and checked against the
 * OpenAPI description: the spec is the behaviour, for every answer a test receives.
 */
export async function readReply(method: string, path: string, response: Response): Promise<Reply> {
  const text = await response.text();
  let body: Json = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  const reply = { status: response.status, headers: response.headers, text, body };
  await assertDescribed(method, path, reply);
  return reply;
}

/** Asserts the status, and for errors the contract's one error body; returns the body. */
export function expect(reply: Reply, status: number, code?: string): Json {
  assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${reply.text}`);
  if (status >= 400) assertErrorBody(reply, code);
  return reply.body;
}

/** Asserts the contract's one error body, with `code` when given. */
export function assertErrorBody(reply: Reply, code?: string): void {
  assert.match(reply.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(Object.keys(reply.body), ["error"], reply.text);
  const keys = Object.keys(reply.body.error).sort().join();
  assert.ok(keys === "code,message" || keys === "code,details,message", reply.text);
  assert.match(reply.body.error.code, /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/);
  assert.ok(reply.body.error.message.length > 0);
  if (code) assert.equal(reply.body.error.code, code, reply.text);
}

/** Headers for a JSON request with an optional bearer token. */
export function jsonHeaders(token?: string, extra: Record<string, string> = {}) {
  return {
    "content-type": "application/json",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...extra,
  };
}

function ownerOf(api: Api): string {
  return api.ownerToken ?? OWNER_TOKEN;
}

function locationQuery(slug?: string, joiner = "?"): string {
  return slug === undefined ? "" : `${joiner}location=${encodeURIComponent(slug)}`;
}

// ---- reading back ------------------------------------------------------------------------------

/** Every location, as the owner lists them. */
export async function readLocations(api: Api): Promise<Location[]> {
  return expect(await call(api, "GET", "/api/locations", { token: ownerOf(api) }), 200).locations;
}

/** The location staff act on by default: the fixture's, or the first created. */
export async function homeLocation(api: Api): Promise<{ id: string; slug: string }> {
  return api.location ?? (await readLocations(api))[0];
}

/** `GET /api/menu` of a location (default: the home location). */
export async function readMenu(api: Api, slug?: string): Promise<Json> {
  slug ??= (await homeLocation(api)).slug;
  return expect(await call(api, "GET", `/api/menu?location=${encodeURIComponent(slug)}`), 200);
}

/** One item as `GET /api/menu` lists it, or undefined. */
export async function readMenuItem(
  api: Api,
  id: string,
  slug?: string,
): Promise<MenuItem | undefined> {
  return (await readMenu(api, slug)).items.find((i: MenuItem) => i.id === id);
}

/** `GET /api/tables` as `token` (default the owner) of a location (default the home one). */
export async function readTables(
  api: Api,
  options: { token?: string; location?: string } = {},
): Promise<StaffTable[]> {
  const path = `/api/tables${locationQuery(options.location)}`;
  return expect(await call(api, "GET", path, { token: options.token ?? ownerOf(api) }), 200)
    .tables;
}

/** One table as `GET /api/tables` lists it, or undefined. */
export async function readTable(
  api: Api,
  id: string,
  location?: string,
): Promise<StaffTable | undefined> {
  return (await readTables(api, { location })).find((t) => t.id === id);
}

/** `GET /api/orders/{id}` as `token` (default the owner). */
export async function readOrder(api: Api, id: string, token = ownerOf(api)): Promise<Order> {
  return withoutEstimate(expect(await call(api, "GET", `/api/orders/${id}`, { token }), 200));
}

/**
 * An order as answered, without its derived `estimatedReadyAt` (API.md v1.1), after checking it
 * is there: an ISO time on an open order (a ready or delivered one's is its `ready` time), null
 * on an ended one. What tests compare with the order as stored.
 */
export function withoutEstimate<T extends Order>(
  order: T & { estimatedReadyAt?: unknown },
  options: { created?: boolean } = {},
): T {
  const { estimatedReadyAt, ...rest } = order;
  const open = order.status !== "closed" && order.status !== "cancelled";
  // A 201 carries null from a process that follows nothing of the location yet (no hub).
  if (options.created && estimatedReadyAt === null) assert.ok("estimatedReadyAt" in order);
  else if (open) {
    assert.equal(typeof estimatedReadyAt, "string", `order ${order.id}: estimatedReadyAt`);
    assert.ok(
      !Number.isNaN(Date.parse(estimatedReadyAt as string)),
      `estimatedReadyAt ${estimatedReadyAt}`,
    );
  } else assert.equal(estimatedReadyAt, null, `order ${order.id}: estimatedReadyAt`);
  return rest as unknown as T;
}

/**
 * Every order `GET /api/orders?<query>` lists, newest first, page by page (`limit` per page),
 * asserting that only the last page is short and that it alone has no cursor.
 */
export async function readOrders(
  api: Api,
  query = "",
  options: { limit?: number; token?: string } = {},
): Promise<Order[]> {
  const limit = options.limit ?? 200;
  const seen: Order[] = [];
  let cursor = "";
  for (let page = 0; page < 1_000; page++) {
    const path = `/api/orders?${query}${query ? "&" : ""}limit=${limit}&cursor=${cursor}`;
    const body = expect(
      await call(api, "GET", path, { token: options.token ?? ownerOf(api) }),
      200,
    );
    assert.ok(body.orders.length <= limit, `${path}: ${body.orders.length} > ${limit}`);
    body.orders = body.orders.map(withoutEstimate);
    const again = body.orders.filter((o: Order) => seen.some((s) => s.id === o.id));
    assert.deepEqual(idsOf(again), [], `${path}: orders of an earlier page again`);
    seen.push(...body.orders);
    cursor = body.cursor;
    if (!cursor) return seen;
    assert.equal(body.orders.length, limit, `${path}: only the last page may be short`);
  }
  assert.fail("paging did not end");
}

/** The ids of `orders`, in their order. */
export function idsOf(orders: readonly { id: string }[]): string[] {
  return orders.map((o) => o.id);
}

// ---- checked writes: each reads back what it wrote ---------------------------------------------

/** Asserts `at` is an ISO 8601 UTC time within a minute of now. */
export function assertRecent(at: string, what = "time"): void {
  assert.equal(new Date(at).toISOString(), at, `${what} is not ISO 8601 UTC: ${at}`);
  assert.ok(Math.abs(Date.parse(at) - Date.now()) < 60_000, `${what} is not recent: ${at}`);
}

/** POSTs a location as the owner; the answer and the list read back hold every field sent. */
export async function addLocation(
  api: Api,
  sent: { slug: string; name: string; currency: string; defaultLanguage?: string },
): Promise<Location> {
  const created = expect(
    await call(api, "POST", "/api/locations", { token: ownerOf(api), body: sent }),
    201,
  );
  const defaultLanguage = sent.defaultLanguage ?? "en";
  const expected = {
    ...sent,
    defaultLanguage,
    languages: [defaultLanguage],
    id: created.id,
    createdAt: created.createdAt,
  };
  assert.deepEqual(created, expected);
  assertRecent(created.createdAt, "createdAt");
  assert.deepEqual((await readLocations(api)).find((l) => l.id === created.id), expected);
  const menu = await readMenu(api, sent.slug);
  assert.deepEqual(menu.location, {
    id: created.id,
    slug: sent.slug,
    name: sent.name,
    currency: sent.currency,
    defaultLanguage,
    languages: [defaultLanguage],
  });
  return created;
}

/** A menu item's fields as POST /api/menu/items takes them. */
export interface MenuItemInput {
  name: string;
  priceCents: number;
  category: string;
  description?: string;
  available?: boolean;
  allergens?: string[];
}

/**
 * POSTs a menu item; the answer and the menu read back are what was sent plus the defaults.
 * Returns the item as the menu lists it.
 */
export async function addMenuItem(
  api: Api,
  sent: MenuItemInput,
  options: { token?: string; location?: string } = {},
): Promise<MenuItem> {
  const path = `/api/menu/items${locationQuery(options.location)}`;
  const created = expect(
    await call(api, "POST", path, { token: options.token ?? ownerOf(api), body: sent }),
    201,
  );
  const defaults = {
    description: "",
    available: true,
    allergens: [],
    dietary: [],
    station: "kitchen",
    optionGroups: [],
  };
  const expected = { ...defaults, ...sent, id: created.id };
  assert.deepEqual(created, { ...expected, translations: {} });
  assert.deepEqual(await readMenuItem(api, created.id, options.location), expected);
  return expected as unknown as MenuItem;
}

/** An item as the staff API answers it, shown as a guest's menu lists it: no translations. */
export function asViewed(item: Json): Json {
  const { translations: _, ...rest } = item;
  return {
    ...rest,
    optionGroups: (rest.optionGroups ?? []).map(({ translations: _g, ...group }: Json) => ({
      ...group,
      options: group.options.map(({ translations: _o, ...option }: Json) => option),
    })),
  };
}

/**
 * A line of an order for `item` that meets its rules: in each required group its first available
 * options. Throws when the item cannot be ordered.
 */
export function orderLine(
  item: MenuItem,
  quantity = 1,
  extra: { note?: string } = {},
): { menuItemId: string; quantity: number; options?: string[]; note?: string } {
  if (!item.available) throw new Error(`"${item.name}" cannot be ordered`);
  const options: string[] = [];
  for (const group of item.optionGroups) {
    const open = group.options.filter((o) => o.available).slice(0, group.min);
    if (open.length < group.min) throw new Error(`"${item.name}" cannot be ordered`);
    options.push(...open.map((o) => o.id));
  }
  return {
    menuItemId: item.id,
    quantity,
    ...(options.length ? { options } : {}),
    ...(extra.note !== undefined ? { note: extra.note } : {}),
  };
}

/**
 * PATCHes a menu item; the answer and the menu read back are the item before with `patch` on.
 * Returns the item as the menu lists it.
 */
export async function changeMenuItem(
  api: Api,
  id: string,
  patch: Partial<MenuItemInput>,
  options: { token?: string; location?: string } = {},
): Promise<MenuItem> {
  const before = await readMenuItem(api, id, options.location);
  assert.ok(before, `no menu item ${id}`);
  const path = `/api/menu/items/${id}${locationQuery(options.location)}`;
  const changed = expect(
    await call(api, "PATCH", path, { token: options.token ?? ownerOf(api), body: patch }),
    200,
  );
  const expected = { ...before, ...patch };
  assert.deepEqual(asViewed(changed), expected);
  assert.deepEqual(await readMenuItem(api, id, options.location), expected);
  return expected as MenuItem;
}

/** Asserts the guest URL of a table's QR code names its token. */
function assertQrUrl(table: StaffTable): void {
  assert.ok(table.token.length >= 16, `a short table token: ${table.token}`);
  assert.match(table.qrUrl, /^https?:\/\/[^/]+\/t\//);
  assert.ok(table.qrUrl.endsWith(`/t/${encodeURIComponent(table.token)}`), table.qrUrl);
}

/** Asserts a table token opens the menu of the location with `slug` (or is refused: 401). */
async function assertTableTokenOpens(api: Api, token: string, slug: string | null) {
  const reply = await call(api, "GET", `/api/menu?table=${encodeURIComponent(token)}`);
  if (slug === null) return void expect(reply, 401, "invalid_table_token");
  assert.equal(expect(reply, 200).location.slug, slug);
}

/** POSTs a table; the answer and the list read back hold its number and seats, and its token works. */
export async function addTable(
  api: Api,
  sent: { number: number; seats: number },
  options: { token?: string; location?: string } = {},
): Promise<StaffTable> {
  const path = `/api/tables${locationQuery(options.location)}`;
  const created = expect(
    await call(api, "POST", path, { token: options.token ?? ownerOf(api), body: sent }),
    201,
  );
  const expected = {
    ...sent,
    id: created.id,
    status: "available",
    token: created.token,
    qrUrl: created.qrUrl,
  };
  assert.deepEqual(created, expected);
  assertQrUrl(created);
  assert.deepEqual(await readTable(api, created.id, options.location), expected);
  const slug = options.location ?? (await homeLocation(api)).slug;
  await assertTableTokenOpens(api, created.token, slug);
  return created;
}

/**
 * PATCHes a table; the answer and the list read back are the table before with `patch` on. With
 * `rotateToken`, the token and QR URL are new, the old token is refused and the new one works.
 */
export async function changeTable(
  api: Api,
  id: string,
  patch: { number?: number; seats?: number; status?: string; rotateToken?: true },
  options: { token?: string; location?: string } = {},
): Promise<StaffTable> {
  const before = await readTable(api, id, options.location);
  assert.ok(before, `no table ${id}`);
  const path = `/api/tables/${id}${locationQuery(options.location)}`;
  const changed = expect(
    await call(api, "PATCH", path, { token: options.token ?? ownerOf(api), body: patch }),
    200,
  );
  const { rotateToken, ...fields } = patch;
  const expected = { ...before, ...fields };
  if (rotateToken) {
    assert.notEqual(changed.token, before.token, "rotateToken kept the token");
    expected.token = changed.token;
    expected.qrUrl = before.qrUrl.replace(
      `/t/${encodeURIComponent(before.token)}`,
      `/t/${encodeURIComponent(changed.token)}`,
    );
  }
  assert.deepEqual(changed, expected);
  assertQrUrl(changed);
  assert.deepEqual(await readTable(api, id, options.location), expected);
  const slug = options.location ?? (await homeLocation(api)).slug;
  await assertTableTokenOpens(api, changed.token, slug);
  if (rotateToken) await assertTableTokenOpens(api, before.token, null);
  return changed;
}

/** A device token as the API issued it, and how it shows in an order's history. */
export interface DeviceToken {
  token: string;
  id: string;
  role: Role;
  locationId: string;
  /** `<role>:<id>`, the `by` of the moves it makes. */
  by: string;
}

const DEFAULT_TOKEN_TTL_SECONDS = 90 * 24 * 60 * 60;

/**
 * Issues a device token through `POST /api/auth/tokens` as the owner (for the home location unless
 * `locationId`); asserts the answer holds what was asked and the token acts as that role there.
 */
export async function deviceToken(
  api: Api,
  role: Role,
  options: { ttlSeconds?: number; locationId?: string; label?: string } = {},
): Promise<DeviceToken> {
  const sent = { role, ...options };
  const asked = Date.now();
  const created = expect(
    await call(api, "POST", "/api/auth/tokens", { token: ownerOf(api), body: sent }),
    201,
  );
  const locationId = options.locationId ?? (await homeLocation(api)).id;
  assert.deepEqual(created, {
    token: created.token,
    id: created.id,
    expiresAt: created.expiresAt,
    role,
    locationId,
    label: options.label ?? "",
  });
  const ttl = (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS) * 1000;
  const expires = Date.parse(created.expiresAt) - asked;
  assert.ok(expires > ttl - 5_000 && expires <= ttl + 1_000, `expiresAt ${created.expiresAt}`);
  await assertTokenActsAs(api, created.token, role, locationId);
  return { token: created.token, id: created.id, role, locationId, by: `${role}:${created.id}` };
}

/** Reads back what a staff token may do: its location's orders and tables, and its role's limits. */
export async function assertTokenActsAs(
  api: Api,
  token: string,
  role: Role,
  locationId: string,
): Promise<void> {
  const orders = expect(await call(api, "GET", "/api/orders?limit=200", { token }), 200).orders;
  assert.ok(orders.every((o: Order) => o.locationId === locationId), "another location's orders");
  const location = (await readLocations(api)).find((l) => l.id === locationId);
  assert.ok(location, `no location ${locationId}`);
  const tables = await call(api, "GET", "/api/tables", { token });
  if (role === "kitchen") expect(tables, 403, "forbidden");
  else {
    assert.deepEqual(
      idsOf(expect(tables, 200).tables),
      idsOf(await readTables(api, { location: location.slug })),
    );
  }
  const locations = await call(api, "GET", "/api/locations", { token });
  if (role === "owner") assert.deepEqual(idsOf(expect(locations, 200).locations), [locationId]);
  else expect(locations, 403);
}

/** A guest's order body. */
export interface OrderBody {
  tableToken: string;
  items: { menuItemId: string; quantity: number; note?: string; options?: string[] }[];
  note?: string;
}

/** What an order is priced from: the menu and tables of its table's location, as the API shows them. */
export interface PricedFrom {
  menu: Json;
  tables: StaffTable[];
}

/** The menu and tables that an order for table token `tableToken` is priced from, read now. */
export async function pricedFrom(api: Api, tableToken: string): Promise<PricedFrom> {
  const menu = expect(
    await call(api, "GET", `/api/menu?table=${encodeURIComponent(tableToken)}`),
    200,
  );
  return { menu, tables: await readTables(api, { location: menu.location.slug }) };
}

/**
 * The order `body` makes, priced from the menu and the table the API shows now (or `from`): every
 * field but the id and times, which are `created`'s (a new order has one `pending` entry at
 * `createdAt`).
 */
export async function expectedOrder(
  api: Api,
  body: OrderBody,
  created: { id: string; createdAt: string },
  from?: PricedFrom,
): Promise<Order> {
  const { menu, tables } = from ?? await pricedFrom(api, body.tableToken);
  const table = tables.find((t) => t.token === body.tableToken);
  assert.ok(table, "no table has this token");
  const items = body.items.map((line) => {
    const item: MenuItem = menu.items.find((i: MenuItem) => i.id === line.menuItemId);
    assert.ok(item, `no menu item ${line.menuItemId}`);
    const chosen = new Set(line.options ?? []);
    const options = item.optionGroups.flatMap((group) =>
      group.options.filter((o) => chosen.has(o.id)).map((o) => ({
        groupId: group.id,
        group: group.name,
        optionId: o.id,
        name: o.name,
        priceDeltaCents: o.priceDeltaCents,
      }))
    );
    const unitPriceCents = options.reduce((sum, o) => sum + o.priceDeltaCents, item.priceCents);
    return {
      menuItemId: item.id,
      name: item.name,
      quantity: line.quantity,
      unitPriceCents,
      lineTotalCents: unitPriceCents * line.quantity,
      note: line.note ?? "",
      options,
      station: item.station,
      readyAt: null,
    };
  });
  const at = created.createdAt;
  return {
    id: created.id,
    locationId: menu.location.id,
    tableId: table.id,
    tableNumber: table.number,
    items,
    note: body.note ?? "",
    totalCents: items.reduce((sum, line) => sum + line.lineTotalCents, 0),
    currency: menu.location.currency,
    status: "pending",
    version: 1,
    createdAt: at,
    updatedAt: at,
    history: [{ status: "pending", at, by: "guest" }],
  };
}

/**
 * Asserts `order` is what `body` makes (see `expectedOrder`) and that `GET /api/orders/{id}` reads
 * it back the same. `priceFrom`: where to read the menu when `api`'s may be stale, or the menu and
 * tables themselves when a test knows they do not change.
 */
export async function assertPlaced(
  api: Api,
  body: OrderBody,
  order: Order,
  priceFrom: Api | PricedFrom = api,
): Promise<Order> {
  assertRecent(order.createdAt, "createdAt");
  const { orderToken: _, ...answered } = order as Order & { orderToken?: string };
  const stored = "estimatedReadyAt" in answered
    ? withoutEstimate(answered, { created: true })
    : answered;
  const expected = "menu" in priceFrom
    ? await expectedOrder(api, body, order, priceFrom)
    : await expectedOrder(priceFrom, body, order);
  assert.deepEqual(stored, expected);
  assert.deepEqual(await readOrder(api, order.id), expected);
  return expected;
}

/** POSTs an order as a guest; asserts the answer and the order read back are what `body` makes. */
export async function postOrder(
  api: Api,
  body: OrderBody,
  options: { idempotencyKey?: string; priceFrom?: Api | PricedFrom } = {},
): Promise<Order & { orderToken: string }> {
  const headers: Record<string, string> = options.idempotencyKey
    ? { "idempotency-key": options.idempotencyKey }
    : {};
  const reply = await call(api, "POST", "/api/orders", { body, headers });
  if (reply.status !== 201) throw new Error(`postOrder: ${reply.status} ${reply.text}`);
  const created = withoutEstimate(reply.body as Order & { orderToken: string }, {
    created: true,
  });
  assert.equal(typeof created.orderToken, "string");
  assert.ok(created.orderToken.length > 0);
  if (reply.headers.get("idempotent-replayed") !== "true") {
    const expected = await assertPlaced(api, body, created, options.priceFrom);
    // The guest's token reads the same order.
    const byGuest = await call(
      api,
      "GET",
      `/api/orders/${created.id}?token=${encodeURIComponent(created.orderToken)}`,
    );
    assert.deepEqual(withoutEstimate(expect(byGuest, 200)), expected);
  }
  return created;
}

/** Options of one order of an `orderSequence`. */
export interface NextOrderOptions {
  /** Which table (by index, modulo their number); default the next one. */
  table?: number;
  note?: string;
  lines?: number;
}

/**
 * A function that places order after order as a guest, each checked as `postOrder`: the n-th at
 * the n-th table, its lines the next available items, quantities 1, 2, 3, 1, …. The menu and
 * tables are read once: for tests that change neither.
 */
export async function orderSequence(
  api: Api,
): Promise<(options?: NextOrderOptions) => Promise<Order & { orderToken: string }>> {
  const tableTokens = (await readTables(api)).map((t) => t.token);
  const itemIds = await menuItemIds(api);
  const catalog = await pricedFrom(api, tableTokens[0]);
  let placed = 0;
  return async (options = {}) => {
    const n = placed++;
    const lines = options.lines ?? 1;
    return await postOrder(api, {
      tableToken: tableTokens[(options.table ?? n) % tableTokens.length],
      items: Array.from({ length: lines }, (_, i) => ({
        menuItemId: itemIds[(n + i) % itemIds.length],
        quantity: 1 + (i % 3),
        note: options.note ? options.note.slice(0, 200) : undefined,
      })),
      note: options.note,
    }, { priceFrom: catalog });
  };
}

/** A random order body for a table: 1-3 lines of available items. */
export async function randomOrderBody(
  t: Api,
  options: { tableToken?: string; lines?: number } = {},
): Promise<OrderBody> {
  const ids = await menuItemIds(t);
  const lines = options.lines ?? 1 + randomInt(3);
  return {
    tableToken: options.tableToken ?? await tableToken(t),
    items: Array.from({ length: lines }, () => ({
      menuItemId: pick(ids),
      quantity: 1 + randomInt(5),
      ...(Math.random() < 0.5 ? { note: randomText(20) } : {}),
    })),
    ...(Math.random() < 0.5 ? { note: randomText(40) } : {}),
  };
}

/** Places a random order (checked, as `postOrder`); returns the created order with its token. */
export async function placeOrder(
  t: Api,
  options: { tableToken?: string; idempotencyKey?: string; lines?: number } = {},
): Promise<Order & { orderToken: string }> {
  return await postOrder(t, await randomOrderBody(t, options), options);
}

/** The order after a move to `status` by `by`, at `at`: one version on, one history entry more. */
export function expectedMove(before: Order, status: string, by: string, at: string): Order {
  // Lines follow the status (API.md v1.1): a move to ready marks them all ready, a recall none.
  const items = status === "ready"
    ? before.items.map((line) => line.readyAt ? line : { ...line, readyAt: at })
    : before.status === "ready" && status === "preparing"
    ? before.items.map((line) => ({ ...line, readyAt: null }))
    : before.items;
  return {
    ...before,
    items,
    status: status as Order["status"],
    version: before.version + 1,
    updatedAt: at,
    history: [...before.history, { status: status as Order["status"], at, by }],
  };
}

/** Moves an order through the app with the owner token; returns the response. */
export async function patchOrder(
  t: Api,
  orderId: string,
  status: string,
  options: { token?: string; ifMatch?: string } = {},
): Promise<Response> {
  return await t.app.request(`/api/orders/${orderId}`, {
    method: "PATCH",
    headers: jsonHeaders(
      options.token ?? ownerOf(t),
      options.ifMatch ? { "if-match": options.ifMatch } : {},
    ),
    body: JSON.stringify({ status }),
  });
}

/**
 * Moves an order as `as` (default the owner): asserts a 200 with the order before, one version
 * on, with the move in its history and `ETag` its version, and that it reads back the same.
 */
export async function moveOrder(
  api: Api,
  orderId: string,
  status: string,
  options: { as?: { token: string; by: string }; ifMatch?: string } = {},
): Promise<Order> {
  const as = options.as ?? { token: ownerOf(api), by: OWNER_BY };
  const before = await readOrder(api, orderId);
  const reply = await call(api, "PATCH", `/api/orders/${orderId}`, {
    token: as.token,
    body: { status },
    headers: options.ifMatch ? { "if-match": options.ifMatch } : {},
  });
  const moved: Order = withoutEstimate(expect(reply, 200));
  assertRecent(moved.updatedAt, "updatedAt");
  assert.ok(moved.updatedAt >= before.updatedAt, "updatedAt went back");
  assert.deepEqual(moved, expectedMove(before, status, as.by, moved.updatedAt));
  assert.equal(reply.headers.get("etag"), `"${moved.version}"`);
  assert.deepEqual(await readOrder(api, orderId), moved);
  return moved;
}

// ---- the seeded demo ---------------------------------------------------------------------------

/** The home location's tables, by number (read through the API). */
export async function tablesOf(t: Api): Promise<StaffTable[]> {
  return await readTables(t);
}

/** The QR token of table `number` (default: a random seeded table). */
export async function tableToken(t: Api, number?: number): Promise<string> {
  const tables = await tablesOf(t);
  const table = number === undefined ? pick(tables) : tables.find((x) => x.number === number);
  if (!table) throw new Error(`no table ${number}`);
  return table.token;
}

/** The home location's menu items; `available` filters by availability when given. */
export async function menuItems(t: Api, available?: boolean): Promise<MenuItem[]> {
  const items: MenuItem[] = (await readMenu(t)).items;
  return available === undefined ? items : items.filter((i) => i.available === available);
}

/** The home location's menu items as stored, with their translations. */
export async function storedMenuItems(t: TestServices): Promise<MenuItem[]> {
  return await listMenuItems(t.kv, t.location.id);
}

/** Ids of available menu items that can be ordered without choosing options. */
export async function menuItemIds(t: Api): Promise<string[]> {
  return withoutRequiredOptions(await menuItems(t, true)).map((i) => i.id);
}

/** Available items that can be ordered without choosing options (no required group). */
export function withoutRequiredOptions(items: readonly MenuItem[]): MenuItem[] {
  return items.filter((i) => i.available && i.optionGroups.every((g) => g.min === 0));
}

// ---- random values -----------------------------------------------------------------------------

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
