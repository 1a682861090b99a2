/**
 * A real server on a free port for stream tests, with a raw SSE reader, and `streamTest`, which
 * gives each test its own server. Not a test file itself.
 */
import { createSession } from "../../lib/auth/sessions.ts";
import { type HubOptions, Hubs } from "../../lib/feed/hub.ts";
import type { MenuItem, Order } from "../../lib/schemas.ts";
import type { Services } from "../../lib/services.ts";
import {
  type Api,
  deviceToken,
  menuItems,
  moveOrder,
  newTestServices,
  type NextOrderOptions,
  orderSequence,
  OWNER_TOKEN,
  readTables,
  serverClient,
  withoutEstimate,
  withoutRequiredOptions,
} from "../fixtures.ts";

export { OWNER_TOKEN };

/** A running server and what tests need to drive it; an `Api`, for the fixtures' checked calls. */
export interface StreamServer extends Api {
  base: string;
  services: Services;
  location: { id: string; slug: string };
  locationId: string;
  kitchenToken: string;
  /** A session opened with the kitchen token, as a signed-in screen holds it: its cookie value. */
  kitchenSession(): Promise<string>;
  /** The kitchen token's id (to revoke it). */
  kitchenTokenId: string;
  tableTokens: string[];
  itemIds: string[];
  /** The available items, as the menu shows them. */
  items: MenuItem[];
  /** Places an order (as a guest), checked as `postOrder`, and returns it with its order token. */
  place(options?: NextOrderOptions): Promise<Order & { orderToken: string }>;
  /** Moves an order (as the owner), checked as `moveOrder`. */
  move(orderId: string, status: string): Promise<Order>;
  /** The kitchen stream's URL, authenticated by `?access_token=` (default the kitchen token). */
  kitchenUrl(token?: string): string;
  /** A guest's stream of `order`, by its order token. */
  orderUrl(order: { id: string; orderToken: string }): string;
  /** Opens the kitchen stream with `headers` (default: the kitchen token as a bearer). */
  kitchen(headers?: Record<string, string>): Promise<RawSse>;
  /** Opens the guest stream of `order`. */
  follow(order: { id: string; orderToken: string }): Promise<RawSse>;
  close(): Promise<void>;
}

/** Starts a seeded in-memory server on a free port (`env`: more settings, as in lib/config.ts). */
export async function startStreamServer(
  hubOptions: Partial<HubOptions> = {},
  env: Record<string, string> = {},
): Promise<StreamServer> {
  const test = await newTestServices({ PORT: "0", ...env });
  const { kv, services, location } = test;
  services.hubs.close();
  services.hubs = new Hubs(kv, hubOptions, { catalog: services.catalog });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, test.app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const api: Api = { app: serverClient(base), ownerToken: OWNER_TOKEN, location };
  const tableTokens = (await readTables(api)).map((t) => t.token);
  const items = await menuItems(api, true);
  const itemIds = withoutRequiredOptions(items).map((i) => i.id);
  // Stream tests change neither menu nor tables: their orders are priced from those read once.
  const place = await orderSequence(api);
  const kitchen = await deviceToken(api, "kitchen");
  const stream: StreamServer = {
    ...api,
    base,
    services,
    location,
    locationId: location.id,
    kitchenToken: kitchen.token,
    kitchenTokenId: kitchen.id,
    async kitchenSession() {
      const principal = await services.auth.authenticate(kitchen.token);
      const { id } = await createSession(kv, {
        principal: principal!,
        locationId: location.id,
        lifetime: { ttlMs: 60_000, idleMs: 60_000 },
      });
      return id;
    },
    tableTokens,
    itemIds,
    items,
    place,
    async move(orderId, status) {
      return await moveOrder(api, orderId, status);
    },
    kitchenUrl(token = kitchen.token) {
      return `${base}/api/kitchen/stream?access_token=${token}`;
    },
    orderUrl(order) {
      return `${base}/api/orders/${order.id}/events?token=${order.orderToken}`;
    },
    async kitchen(headers = { authorization: `Bearer ${kitchen.token}` }) {
      return await RawSse.open(`${base}/api/kitchen/stream`, headers);
    },
    async follow(order) {
      return await RawSse.open(stream.orderUrl(order));
    },
    async close() {
      services.hubs.close();
      await server.shutdown();
      test.close();
    },
  };
  return stream;
}

/** What a stream test may ask of its server. */
export interface StreamTestOptions {
  hub?: Partial<HubOptions>;
  env?: Record<string, string>;
}

/**
 * Registers a stream test named `name` (`[streams] …`): it gets its own server, closed whatever
 * happens. Streams and keep-alive timers outlive a step, so the sanitizers are off.
 */
export function streamTest(
  name: string,
  fn: (server: StreamServer) => Promise<void>,
  options: StreamTestOptions = {},
): void {
  Deno.test(name, { sanitizeOps: false, sanitizeResources: false }, async () => {
    const server = await startStreamServer(options.hub, options.env);
    try {
      await fn(server);
    } finally {
      await server.close();
    }
  });
}

/**
 * A client that sends `GET <path>` on a raw connection to `port` and never reads a byte, so the
 * server's writes to it back up.
 */
export async function stalledClient(port: number, path: string): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
  return conn;
}

/** One server-sent event as read off the wire. */
export interface RawEvent {
  id?: string;
  event: string;
  data: string;
}

/** A minimal SSE reader over `fetch`, keeping events and comments, to see the wire exactly. */
export class RawSse {
  readonly events: RawEvent[] = [];
  /**
   * A guest stream's `eta` events, kept apart: they come between changes whenever an estimate
   * moves, so `events` (and `untilEvents`) hold the feed's changes and snapshots only.
   */
  readonly etas: RawEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  /** True once the server ended the stream. */
  ended = false;
  #controller = new AbortController();
  #waiters: (() => void)[] = [];
  #done: Promise<void> = Promise.resolve();
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;

  /** Opens `url` with `headers` (through `client`); resolves once the response head arrived. */
  static async open(
    url: string,
    headers: Record<string, string> = {},
    client?: Deno.HttpClient,
  ): Promise<RawSse> {
    const sse = new RawSse();
    const response = await fetch(url, {
      headers: { accept: "text/event-stream", ...headers },
      signal: sse.#controller.signal,
      ...{ client } as RequestInit,
    });
    sse.status = response.status;
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      sse.ended = true;
      return sse;
    }
    sse.#done = sse.#read(response.body);
    return sse;
  }

  /** The `order` events' orders (checked to carry `estimatedReadyAt`, and without it). */
  orders(): Order[] {
    return this.events.filter((e) => e.event === "order").map((e) =>
      withoutEstimate(JSON.parse(e.data))
    );
  }

  /** Waits until `predicate` holds (checked after each event), or throws after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.ended && !predicate()) throw new Error("stream ended first");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; ${this.events.length} events`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until exactly `count` events came (see `until`). */
  async untilEvents(count: number, timeoutMs?: number): Promise<void> {
    await this.until(() => this.events.length === count, timeoutMs);
  }

  /** Waits for the server to end the stream. */
  async finished(timeoutMs = 10_000): Promise<void> {
    await this.until(() => this.ended, timeoutMs).catch((error) => {
      if (!this.ended) throw error;
    });
  }

  /** Drops the connection. */
  async close(): Promise<void> {
    this.#controller.abort();
    await this.#reader?.cancel().catch(() => {});
    await this.#done.catch(() => {});
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    const reader = this.#reader = body.getReader();
    try {
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) break;
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          this.#frame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
        this.#notify();
      }
    } catch {
      // aborted
    } finally {
      this.ended = true;
      this.#notify();
    }
  }

  #frame(text: string): void {
    const event: RawEvent = { event: "message", data: "" };
    const data: string[] = [];
    let isEvent = false;
    for (const line of text.split("\n")) {
      if (line.startsWith(":")) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") event.id = value;
      else if (field === "event") event.event = value;
      else if (field === "data") data.push(value);
      else continue;
      isEvent = isEvent || field === "data";
    }
    event.data = data.join("\n");
    if (isEvent) (event.event === "eta" ? this.etas : this.events).push(event);
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
