/** Requests from a chosen client address, for the rate limit and stream cap tests. */
import type { Reply, TestServices } from "../fixtures.ts";
import { menuItemIds, readReply, readTables } from "../fixtures.ts";

/** Options of `callFrom`. */
export interface FromOptions {
  body?: unknown;
  headers?: Record<string, string>;
  token?: string;
}

/** `app.request` as a connection from `address` would make it (the socket's address). */
export async function callFrom(
  s: TestServices,
  address: string,
  method: string,
  path: string,
  options: FromOptions = {},
): Promise<Reply> {
  return await readReply(method, path, await requestFrom(s, address, method, path, options));
}

/** The raw response (for streams, which the caller reads or cancels). */
export async function requestFrom(
  s: TestServices,
  address: string,
  method: string,
  path: string,
  options: FromOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  const info: Deno.ServeHandlerInfo<Deno.NetAddr> = {
    remoteAddr: { transport: "tcp", hostname: address, port: 40_000 },
    completed: Promise.resolve(),
  };
  return await s.app.request(path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  }, info);
}

/** A valid one-line order body for `tableToken` (an item without required options). */
export async function simpleOrder(s: TestServices, tableToken: string, note?: string) {
  const [itemId] = await menuItemIds(s);
  return { tableToken, items: [{ menuItemId: itemId, quantity: 1 }], ...(note ? { note } : {}) };
}

/** The tables' guest tokens by number. */
export async function tokensByNumber(s: TestServices): Promise<Map<number, string>> {
  return new Map((await readTables(s)).map((t) => [t.number, t.token]));
}
