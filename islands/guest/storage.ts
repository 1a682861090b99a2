/**
 * What the guest page keeps in the browser per table (`localStorage`): the cart, the order note,
 * the orders placed from this phone (id and order token, to follow them), and the order being
 * sent with its idempotency key.
 */
import type { Order } from "../../lib/schemas.ts";
import type { CartLine } from "./cart.ts";

/** An order this phone placed. */
export interface StoredOrder {
  id: string;
  token: string;
  order?: Order;
}

/** Everything kept for one table. */
export interface Stored {
  lines: CartLine[];
  note: string;
  orders: StoredOrder[];
  pending: { key: string; body: string } | null;
}

const EMPTY: Stored = { lines: [], note: "", orders: [], pending: null };

/** What is kept under `key`, or nothing (also when storage is off or holds junk). */
export function readStored(key: string): Stored {
  try {
    const value = JSON.parse(localStorage.getItem(key) ?? "null");
    return value && Array.isArray(value.lines) ? { ...EMPTY, ...value } : { ...EMPTY };
  } catch {
    return { ...EMPTY };
  }
}

/** Keeps `value` under `key` (orders without their bodies: the stream brings them again). */
export function writeStored(key: string, value: Stored): void {
  try {
    const orders = value.orders.slice(0, 20).map(({ id, token }) => ({ id, token }));
    localStorage.setItem(key, JSON.stringify({ ...value, orders }));
  } catch {
    // Private mode or full: the page still works, it only forgets on reload.
  }
}

/** A random key (idempotency keys, cart lines); works outside secure contexts too. */
export function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
