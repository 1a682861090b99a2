/** Requests from a chosen client address, for the rate limit and stream cap tests. */
import type { Json, Reply, TestServices } from "../fixtures.ts";
import { menuItemIds, readTables } from "../fixtures.ts";
import { assertDescribed } from "../openapi_validator.ts";

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
  const response = await requestFrom(s, address, method, path, options);
  const text = await response.text();
  let body: Json = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  const reply = { status: response.status, headers: response.headers, text, body };
  // As `call` does: every answer is one the OpenAPI description allows.
  await assertDescribed(method, path, reply);
  return reply;
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
