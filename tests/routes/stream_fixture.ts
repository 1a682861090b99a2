/**
 * A real server on a free port for stream tests, with a raw SSE reader. Not a test file itself.
 */
import { type HubOptions, Hubs } from "../../lib/feed/hub.ts";
import { listMenuItems } from "../../lib/catalog/menu.ts";
import type { MenuItem, Order } from "../../lib/schemas.ts";
import type { Services } from "../../lib/services.ts";
import { listTables } from "../../lib/catalog/tables.ts";
import { createSession } from "../../lib/auth/sessions.ts";
import { newTestServices, orderLine, OWNER_TOKEN } from "../fixtures.ts";

export { OWNER_TOKEN };

/** A running server and what tests need to drive it. */
export interface StreamServer {
  base: string;
  services: Services;
  locationId: string;
  kitchenToken: string;
  kitchenSession(): Promise<string>;
  /** The kitchen token's id (to revoke it). */
  kitchenTokenId: string;
  tableTokens: string[];
  itemIds: string[];
  /** The available items, in the order of `itemIds`. */
  items: MenuItem[];
  /** Places an order (as a guest) and returns it with its order token. */
  place(options?: { table?: number; note?: string; lines?: number }): Promise<
    Order & { orderToken: string }
  >;
  /** Moves an order (as the owner). */
  move(orderId: string, status: string): Promise<Order>;
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
  services.hubs = new Hubs(kv, hubOptions);
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, test.app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const tableTokens = (await listTables(kv, location.id)).map((t) => t.token);
  const items = (await listMenuItems(kv, location.id)).filter((i) => i.available);
  const itemIds = items.map((i) => i.id);
  const { token: kitchenToken, record: kitchenRecord } = await services.auth.issueDeviceToken(
    { role: "owner", via: "bootstrap", id: "bootstrap", locations: "all", label: "test" },
    { role: "kitchen", locationId: location.id },
  );
  let placed = 0;
  return {
    base,
    services,
    locationId: location.id,
    kitchenToken,
    /** A session opened with the kitchen token, as a signed-in screen holds it. */
    async kitchenSession(): Promise<string> {
      const principal = await services.auth.authenticate(kitchenToken);
      const { id } = await createSession(kv, {
        principal: principal!,
        locationId: location.id,
        lifetime: { ttlMs: 60_000, idleMs: 60_000 },
      });
      return id;
    },
    kitchenTokenId: kitchenRecord.id,
    tableTokens,
    itemIds,
    items,
    async place(options = {}) {
      const n = placed++;
      const lines = options.lines ?? 1;
      const response = await fetch(`${base}/api/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          tableToken: tableTokens[(options.table ?? n) % tableTokens.length],
          items: Array.from(
            { length: lines },
            (_, i) =>
              orderLine(items[(n + i) % items.length], 1 + (i % 3), {
                note: options.note ? options.note.slice(0, 200) : undefined,
              }),
          ),
          note: options.note,
        }),
      });
      const body = await response.json();
      if (response.status !== 201) {
        throw new Error(`place: ${response.status} ${JSON.stringify(body)}`);
      }
      return body;
    },
    async move(orderId, status) {
      const response = await fetch(`${base}/api/orders/${orderId}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", authorization: `Bearer ${OWNER_TOKEN}` },
        body: JSON.stringify({ status }),
      });
      const body = await response.json();
      if (response.status !== 200) {
        throw new Error(`move: ${response.status} ${JSON.stringify(body)}`);
      }
      return body;
    },
    async close() {
      services.hubs.close();
      await server.shutdown();
      test.close();
    },
  };
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
  readonly comments: string[] = [];
  status = 0;
  /** True once the server ended the stream. */
  ended = false;
  #controller = new AbortController();
  #waiters: (() => void)[] = [];
  #done: Promise<void> = Promise.resolve();
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;

  /** Opens `url` with `headers`; resolves once the response head arrived. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<RawSse> {
    const sse = new RawSse();
    const response = await fetch(url, {
      headers: { accept: "text/event-stream", ...headers },
      signal: sse.#controller.signal,
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

  /** The `order` events' orders. */
  orders(): Order[] {
    return this.events.filter((e) => e.event === "order").map((e) => JSON.parse(e.data));
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
    if (isEvent) this.events.push(event);
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
