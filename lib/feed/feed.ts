/**
 * The change feed: every commit that changes orders also writes one feed entry, keyed by the
 * commit's versionstamp, and bumps the location's head key. Kitchen streams, guest streams and the
 * Postgres mirror all read it. Event ids are `<versionstamp>-<index within the entry>`.
 */
import { decodeJson, joinJson, NO_VALUE } from "../kv/codec.ts";
import { eventKey, eventsHeadKey, eventsPrefix } from "../kv/keys.ts";
import type { Order } from "../schemas.ts";

/** One feed entry: the orders one commit changed, each as it is after the commit. */
export interface FeedEntry {
  at: string;
  orders: Order[];
}

/** One change read back from the feed. */
export interface FeedChange {
  /** The SSE event id: `<versionstamp>-<index>`, ordered as the commits were. */
  id: string;
  versionstamp: string;
  index: number;
  order: Order;
}

/**
 * Adds the feed entry for the changed orders (all of one location, as JSON bytes from
 * `encodeJson`, the same bytes as their rows) and the head bump to `op`.
 */
export function appendToFeed(
  op: Deno.AtomicOperation,
  kv: Deno.Kv,
  locationId: string,
  entry: { orders: readonly Uint8Array[]; at: string; retentionMs: number },
): Deno.AtomicOperation {
  const value = joinJson(`{"at":${JSON.stringify(entry.at)},"orders":[`, entry.orders, "]}");
  return op
    .set(eventKey(locationId, kv.commitVersionstamp()), value, { expireIn: entry.retentionMs })
    .set(eventsHeadKey(locationId), NO_VALUE);
}

/** The feed entry at `versionstamp`, or null when there is none (never was, or expired). */
export async function readFeedEntry(
  kv: Deno.Kv,
  locationId: string,
  versionstamp: string,
): Promise<FeedEntry | null> {
  const entry = await kv.get<Uint8Array>(eventKey(locationId, versionstamp));
  return entry.value ? decodeJson<FeedEntry>(entry.value) : null;
}

/** The newest entry of the feed with its versionstamp, or null when the feed is empty. */
export async function newestFeedEntry(
  kv: Deno.Kv,
  locationId: string,
): Promise<{ versionstamp: string; entry: FeedEntry } | null> {
  const newest = kv.list<Uint8Array>({ prefix: eventsPrefix(locationId) }, {
    reverse: true,
    limit: 1,
  });
  for await (const { key, value } of newest) {
    return { versionstamp: key[key.length - 1] as string, entry: decodeJson<FeedEntry>(value) };
  }
  return null;
}

/** The SSE id of the `index`-th change of the entry at `versionstamp`. */
export function feedEventId(versionstamp: string, index: number): string {
  return `${versionstamp}-${index}`;
}

/** Parses a feed event id, or null when it is not one of ours. */
export function parseFeedEventId(id: string): { versionstamp: string; index: number } | null {
  const match = /^([0-9a-f]{20})-(\d{1,4})$/.exec(id.trim());
  return match ? { versionstamp: match[1], index: Number(match[2]) } : null;
}

/**
 * Lists every change after `cursor` (exclusive) in commit order, or from the start when `cursor`
 * is null. Reads in strongly consistent batches.
 */
export async function* listChangesAfter(
  kv: Deno.Kv,
  locationId: string,
  cursor: { versionstamp: string; index: number } | null,
): AsyncGenerator<FeedChange> {
  for await (const entry of listEntriesFrom(kv, locationId, cursor?.versionstamp ?? null)) {
    const { versionstamp } = entry;
    const orders = decodeJson<FeedEntry>(entry.bytes).orders;
    for (let index = 0; index < orders.length; index++) {
      if (cursor && versionstamp === cursor.versionstamp && index <= cursor.index) continue;
      yield { id: feedEventId(versionstamp, index), versionstamp, index, order: orders[index] };
    }
  }
}

/**
 * Lists the feed's entries as stored (`FeedEntry` JSON bytes, for `decodeJson`) in commit order,
 * from the one at `versionstamp` (inclusive), or from the start when it is null.
 */
export async function* listEntriesFrom(
  kv: Deno.Kv,
  locationId: string,
  versionstamp: string | null,
): AsyncGenerator<{ versionstamp: string; bytes: Uint8Array }> {
  const selector: Deno.KvListSelector = versionstamp
    ? { start: eventKey(locationId, versionstamp), end: [...eventsPrefix(locationId), "\uffff"] }
    : { prefix: eventsPrefix(locationId) };
  for await (const entry of kv.list<Uint8Array>(selector, { batchSize: 500 })) {
    yield { versionstamp: entry.key[entry.key.length - 1] as string, bytes: entry.value };
  }
}
