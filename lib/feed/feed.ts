/**
 * The change feed: every commit that changes a location's orders or catalog also writes one feed
 * entry, keyed by the commit's versionstamp, and bumps the location's head key. Kitchen and guest
 * streams, the orders-by-table index and (later) the mirror and webhooks all read it, and nothing
 * else: one feed, one encoding, changes of several kinds.
 *
 * A change's position is its entry's versionstamp and its index within the entry; as an SSE
 * event id it reads `<versionstamp>-<index>`.
 */
import { decodeJson, joinJson, NO_VALUE } from "../kv/codec.ts";
import { eventKey, eventsHeadKey, eventsPrefix, feedEpochKey } from "../kv/keys.ts";
import type { Location, MenuItem, Order, Table } from "../schemas.ts";
import type { Settings } from "../kitchen/settings.ts";
import type { ServiceRequest } from "../floor/requests.ts";
import type { Visit } from "../visits/visit.ts";
import type { AuditEntry } from "../audit/entry.ts";

/** What one change says happened, by kind. Each holds the thing as it is after the commit. */
export type ChangeData =
  | { type: "order"; order: Order }
  | { type: "menu_item"; item: MenuItem; deleted: boolean }
  | { type: "table"; table: Table; deleted: boolean }
  | { type: "location"; location: Location }
  | { type: "settings"; locationId: string; settings: Settings }
  | { type: "service_request"; request: ServiceRequest }
  | { type: "visit"; visit: Visit }
  /** A staff mutation's or security event's audit entry (also a key of its own), for the mirror. */
  | { type: "audit"; entry: AuditEntry };

/** The kinds of change. */
export type ChangeType = ChangeData["type"];

/** One feed entry: what one commit changed. */
export interface FeedEntry {
  at: string;
  /** When the entry expires (ms since the epoch); entries written before it was added lack it. */
  expiresAt?: number;
  changes: ChangeData[];
}

/** A place in the feed: after the `index`-th change of the entry at `versionstamp`. */
export interface FeedPosition {
  versionstamp: string;
  index: number;
  /** The feed epoch (`readFeedEpoch`) a stored cursor was taken in; absent means "". */
  epoch?: string;
}

/** One change read back from the feed, with its position and event id. */
export type FeedChange = ChangeData & FeedPosition & { id: string };

/** An order change read back from the feed. */
export type OrderFeedChange = Extract<FeedChange, { type: "order" }> & {
  /** Set by the hub as it takes the change in: the order's estimate at that moment. */
  estimatedReadyAt?: string | null;
};

/** A service request change read back from the feed. */
export type RequestFeedChange = Extract<FeedChange, { type: "service_request" }>;

/** A settings change read back from the feed (staff screens follow the thresholds they use). */
export type SettingsFeedChange = Extract<FeedChange, { type: "settings" }>;

/**
 * What event streams carry: order changes; for the floor, service requests; for every staff
 * stream, settings changes.
 */
export type StreamFeedChange = OrderFeedChange | RequestFeedChange | SettingsFeedChange;

/** Orders the positions of the feed: negative when `a` comes first. */
export function comparePositions(a: FeedPosition, b: FeedPosition): number {
  return a.versionstamp < b.versionstamp
    ? -1
    : a.versionstamp > b.versionstamp
    ? 1
    : a.index - b.index;
}

/** The SSE event id of a position: `<versionstamp>-<index>`. */
export function feedEventId(position: FeedPosition): string {
  return `${position.versionstamp}-${position.index}`;
}

/** Parses a feed event id, or null when it is not one of ours. */
export function parseFeedEventId(id: string): FeedPosition | null {
  const match = /^([0-9a-f]{20})-(\d{1,4})$/.exec(id.trim());
  return match ? { versionstamp: match[1], index: Number(match[2]) } : null;
}

/**
 * The store's feed epoch: "" until the store is first imported, then a new random id at each
 * import. Versionstamps do not move between stores, and a new store's may repeat an old one's, so
 * an id or cursor from another epoch must never be taken for a place in this feed. Event ids of
 * an imported store carry it (`<versionstamp>-<index>.<epoch>`); cursors keep it in their position.
 */
export async function readFeedEpoch(kv: Deno.Kv): Promise<string> {
  return (await kv.get<string>(feedEpochKey())).value ?? "";
}

/** An event id of the epoch: `id` with the epoch after a dot (as it is when the epoch is ""). */
export function withEpoch(id: string, epoch: string): string {
  return epoch ? `${id}.${epoch}` : id;
}

/** The feed event id inside `id` when `id` is of the epoch, else null (another store's id). */
export function idInEpoch(id: string, epoch: string): string | null {
  if (!epoch) return id;
  const suffix = `.${epoch}`;
  return id.endsWith(suffix) ? id.slice(0, -suffix.length) : null;
}

const ORDER_HEAD = '{"type":"order","order":';

/**
 * Adds the feed entry of a commit and the head bump to `op`. `orders` are the changed orders as
 * JSON bytes from `encodeJson` (the same bytes as their rows, not encoded again); `others` are
 * the commit's other changes. One atomic op can hold one entry.
 */
export function appendToFeed(
  op: Deno.AtomicOperation,
  kv: Deno.Kv,
  locationId: string,
  entry: {
    at: string;
    retentionMs: number;
    orders?: readonly Uint8Array[];
    others?: readonly ChangeData[];
  },
): Deno.AtomicOperation {
  // The entry carries its expiry, so an import into another store can give it the same one.
  const expiresAt = Date.parse(entry.at) + entry.retentionMs;
  const head = `{"at":${JSON.stringify(entry.at)},"expiresAt":${expiresAt},"changes":[`;
  const others = (entry.others ?? []).map((change) => JSON.stringify(change)).join(",");
  const orders = entry.orders ?? [];
  const tail = (others && orders.length ? "," : "") + others + "]}";
  const value = joinJson(head, orders, tail, { before: ORDER_HEAD, after: "}" });
  return op
    .set(eventKey(locationId, kv.commitVersionstamp()), value, { expireIn: entry.retentionMs })
    .set(eventsHeadKey(locationId), NO_VALUE);
}

/** A feed entry from its stored bytes (entries written before the feed was typed held `orders`). */
export function decodeFeedEntry(bytes: Uint8Array): FeedEntry {
  const entry = decodeJson<FeedEntry & { orders?: Order[] }>(bytes);
  if (!entry.changes && entry.orders) {
    return { at: entry.at, changes: entry.orders.map((order) => ({ type: "order", order })) };
  }
  return entry;
}

/** The feed entry at `versionstamp`, or null when there is none (never was, or expired). */
export async function readFeedEntry(
  kv: Deno.Kv,
  locationId: string,
  versionstamp: string,
): Promise<FeedEntry | null> {
  const entry = await kv.get<Uint8Array>(eventKey(locationId, versionstamp));
  return entry.value ? decodeFeedEntry(entry.value) : null;
}

/** The position of the newest change in the feed, or null when the feed is empty. */
export async function newestPosition(
  kv: Deno.Kv,
  locationId: string,
): Promise<FeedPosition | null> {
  const newest = kv.list<Uint8Array>({ prefix: eventsPrefix(locationId) }, {
    reverse: true,
    limit: 1,
  });
  for await (const { key, value } of newest) {
    const versionstamp = key[key.length - 1] as string;
    return { versionstamp, index: decodeFeedEntry(value).changes.length - 1 };
  }
  return null;
}

/**
 * Lists every change after `after` (exclusive) in commit order, or from the start when it is
 * null. Reads in strongly consistent batches.
 */
export async function* listChangesAfter(
  kv: Deno.Kv,
  locationId: string,
  after: FeedPosition | null,
): AsyncGenerator<FeedChange> {
  const selector: Deno.KvListSelector = after
    ? {
      start: eventKey(locationId, after.versionstamp),
      end: [...eventsPrefix(locationId), "\uffff"],
    }
    : { prefix: eventsPrefix(locationId) };
  for await (const entry of kv.list<Uint8Array>(selector, { batchSize: 500 })) {
    const versionstamp = entry.key[entry.key.length - 1] as string;
    const { changes } = decodeFeedEntry(entry.value);
    for (let index = 0; index < changes.length; index++) {
      if (after && versionstamp === after.versionstamp && index <= after.index) continue;
      const position = { versionstamp, index };
      yield { ...changes[index], ...position, id: feedEventId(position) };
    }
  }
}
