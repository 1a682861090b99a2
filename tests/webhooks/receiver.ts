/**
 * Webhook receivers for tests and the benchmark: real HTTP servers on loopback that verify every
 * delivery's signature with npm `standardwebhooks` (as any receiver would) and record what came.
 * Not a test file.
 */
import { Webhook } from "standardwebhooks";
import {
  call,
  expect,
  type Json,
  menuItems,
  orderLine,
  tablesOf,
  type TestServices,
  withoutRequiredOptions,
} from "../fixtures.ts";

/** One delivery as received. */
export interface Received {
  id: string;
  type: string;
  timestamp: string;
  data: Json;
  /** performance.now() + timeOrigin when it arrived (ms). */
  at: number;
  /** The status answered. */
  answered: number;
}

/** How a receiver answers one delivery: a status, or "hang" (never answers until closed). */
export type Answer = number | "hang";

/** A receiver: its URL, what it got, and a switch for how it answers. */
export interface Receiver {
  url: string;
  /** Every delivery that verified, in arrival order (any status answered). */
  received: Received[];
  /** Deliveries whose signature did not verify. */
  invalid: number;
  /** How the next deliveries are answered (default 200). */
  answer: (delivery: number) => Answer;
  /** Resolves once `predicate` holds for what was received, or rejects after `timeoutMs`. */
  until(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a receiver for endpoints signed with `secret` (set it once known: `setSecret`). */
export function startReceiver(): Receiver & { setSecret(secret: string): void } {
  let verifier: Webhook | null = null;
  const closing = new AbortController();
  const receiver = {
    url: "",
    received: [] as Received[],
    invalid: 0,
    answer: (_: number): Answer => 200,
    setSecret(secret: string) {
      verifier = new Webhook(secret);
    },
    async until(predicate: (received: Received[]) => boolean, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (!predicate(receiver.received)) {
        if (Date.now() > end) {
          throw new Error(`receiver: timed out with ${receiver.received.length} received`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: async () => {
      closing.abort();
      await server.shutdown();
    },
  };
  let count = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const body = await request.text();
    const headers = Object.fromEntries(request.headers);
    let payload: Json;
    try {
      if (!verifier) throw new Error("no secret yet");
      payload = verifier.verify(body, headers);
    } catch {
      receiver.invalid++;
      return new Response("bad signature", { status: 400 });
    }
    const answer = receiver.answer(count++);
    const entry: Received = {
      id: headers["webhook-id"],
      type: payload.type,
      timestamp: payload.timestamp,
      data: payload.data,
      at: performance.timeOrigin + performance.now(),
      answered: answer === "hang" ? 0 : answer,
    };
    if (answer === "hang") {
      await new Promise((resolve) => closing.signal.addEventListener("abort", resolve));
      return new Response(null, { status: 503 });
    }
    receiver.received.push(entry);
    return new Response(null, { status: answer });
  });
  receiver.url = `http://127.0.0.1:${server.addr.port}/hook`;
  return receiver;
}

/** Registers an endpoint for `events` through the API; the receiver learns its secret. */
export async function registerEndpoint(
  t: TestServices,
  receiver: ReturnType<typeof startReceiver>,
  events: string[] = ["order.created", "order.updated"],
): Promise<Json> {
  const created = expect(
    await call(t, "POST", "/api/webhooks", {
      token: t.ownerToken,
      body: { url: receiver.url, events, description: "test receiver" },
    }),
    201,
  );
  receiver.setSecret(created.secret);
  return created;
}

/** Places orders fast (no read-back): `count` orders, `parallel` at a time. Returns their ids. */
export async function placeOrders(
  t: TestServices,
  count: number,
  options: { parallel?: number; onPlaced?: (id: string, at: number) => void } = {},
): Promise<string[]> {
  const tables = await tablesOf(t);
  const items = withoutRequiredOptions(await menuItems(t, true));
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const reply = await call(t, "POST", "/api/orders", {
        body: {
          tableToken: tables[n % tables.length].token,
          items: [orderLine(items[n % items.length], 1 + (n % 3))],
        },
      });
      const order = expect(reply, 201);
      options.onPlaced?.(order.id, performance.timeOrigin + performance.now());
      ids.push(order.id);
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 20 }, worker));
  return ids;
}

/** Moves an order through `statuses` as the owner. */
export async function moveThrough(t: TestServices, id: string, statuses: string[]): Promise<void> {
  for (const status of statuses) {
    expect(
      await call(t, "PATCH", `/api/orders/${id}`, { token: t.ownerToken, body: { status } }),
      200,
    );
  }
}

/** The p-th percentile of `values` (0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
