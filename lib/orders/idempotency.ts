/**
 * Idempotent order creation: everything about `Idempotency-Key` in one place. A key is
 * remembered per table for `Config.idempotencyTtlMs` (with KV expiry) and claimed in the same
 * commit as the order it created; concurrent requests with one key in this process share one
 * in-flight answer; across processes the KV check on the key decides. A retry is answered with
 * the order as it was created.
 */
import { decodeJson, encodeJson } from "../kv/codec.ts";
import { badRequest, conflict } from "../errors.ts";
import { sha256Hex } from "../kv/ids.ts";
import { idempotencyKey } from "../kv/keys.ts";
import type { CreateOrderInput, Order } from "../schemas.ts";

/** What the client may send: 1-255 printable ASCII characters. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The client's `Idempotency-Key` header, checked; undefined when it sent none. */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!KEY_PATTERN.test(header)) {
    throw badRequest(
      "Idempotency-Key must be 1-255 printable ASCII characters.",
      "invalid_idempotency_key",
    );
  }
  return header;
}

/** The record stored under an idempotency key. */
export interface IdempotencyRecord {
  orderId: string;
  requestHash: string;
  expiresAt: number;
}

/** A key a new order claims in its commit. */
export interface IdempotencyClaim {
  key: string;
  requestHash: string;
  expiresAt: number;
  /** The versionstamp of the key's entry as read (an expired record's), or null: checked. */
  claimed: string | null;
}

/** The fingerprint of a request body: the same key with another body is refused. */
export function requestHash(input: CreateOrderInput): string {
  return sha256Hex(JSON.stringify(input));
}

/** The 409 for a key used again with a different body. */
export function keyReused(): Error {
  return conflict(
    "idempotency_key_reused",
    "This Idempotency-Key was already used with a different request body.",
  );
}

/**
 * The record of a table's key (null when unseen or expired from the store) and the versionstamp
 * to check when claiming it.
 */
export async function getIdempotencyRecord(
  kv: Deno.Kv,
  locationId: string,
  claim: { tableId: string; key: string },
): Promise<{ record: IdempotencyRecord | null; versionstamp: string | null }> {
  const entry = await kv.get<Uint8Array>(idempotencyKey(locationId, claim.tableId, claim.key));
  return {
    record: entry.value ? decodeJson<IdempotencyRecord>(entry.value) : null,
    versionstamp: entry.versionstamp,
  };
}

/** `getIdempotencyRecord` for many keys of a location, read 10 at a time (KV's limit). */
export async function getIdempotencyRecords(
  kv: Deno.Kv,
  locationId: string,
  claims: readonly { tableId: string; key: string }[],
): Promise<{ record: IdempotencyRecord | null; versionstamp: string | null }[]> {
  const chunks: (typeof claims)[] = [];
  for (let i = 0; i < claims.length; i += 10) chunks.push(claims.slice(i, i + 10));
  const read = await Promise.all(
    chunks.map((chunk) =>
      kv.getMany<Uint8Array[]>(chunk.map((c) => idempotencyKey(locationId, c.tableId, c.key)))
    ),
  );
  return read.flat().map((entry) => ({
    record: entry.value ? decodeJson<IdempotencyRecord>(entry.value) : null,
    versionstamp: entry.versionstamp,
  }));
}

/** Adds the claim of a key for `order` to `op`: checked as read, expiring with the record. */
export function addClaim(
  op: Deno.AtomicOperation,
  order: Order,
  claim: IdempotencyClaim,
  now: Date,
): void {
  const key = idempotencyKey(order.locationId, order.tableId, claim.key);
  const record: IdempotencyRecord = {
    orderId: order.id,
    requestHash: claim.requestHash,
    expiresAt: claim.expiresAt,
  };
  op.check({ key, versionstamp: claim.claimed }).set(key, encodeJson(record), {
    expireIn: Math.max(1, claim.expiresAt - now.getTime()),
  });
}

/**
 * The order as it was when created. An idempotent retry is answered with this, so it gets the
 * same body as the first response even after the order has moved on.
 */
export function asCreated(order: Order): Order {
  // The creation's entries: `pending`, and `queued` by `system` when auto-accepted.
  const created = order.history[1]?.by === "system" && order.history[1].at === order.createdAt
    ? order.history.slice(0, 2)
    : order.history.slice(0, 1);
  return {
    ...order,
    items: order.items.map((line) => line.readyAt ? { ...line, readyAt: null } : line),
    status: created[created.length - 1].status,
    version: 1,
    updatedAt: order.createdAt,
    history: created,
  };
}

/**
 * Requests in flight in this process, by table and key: a concurrent repeat waits for the first
 * one's answer instead of racing it to the store.
 */
export class InFlight<T> {
  #pending = new Map<string, { requestHash: string; result: Promise<T> }>();

  /**
   * The answer to the request: the in-flight one's when the same key is already being placed
   * (`replayed` true), else `start()`'s. The same key with another body is a 409.
   */
  async run(
    scope: { locationId: string; tableId: string; key: string; requestHash: string },
    start: () => Promise<T>,
  ): Promise<{ result: T; replayed: boolean }> {
    const id = `${scope.locationId}/${scope.tableId}/${scope.key}`;
    const pending = this.#pending.get(id);
    if (pending) {
      if (pending.requestHash !== scope.requestHash) throw keyReused();
      return { result: await pending.result, replayed: true };
    }
    const result = start();
    this.#pending.set(id, { requestHash: scope.requestHash, result });
    try {
      return { result: await result, replayed: false };
    } finally {
      this.#pending.delete(id);
    }
  }
}
