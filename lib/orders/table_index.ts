/**
 * The orders-by-table index, written behind the change feed instead of in each order's commit.
 *
 * Why: an index entry lands at its table's place in the store, so a commit of orders for a dozen
 * tables dirties a dozen more store pages (and as many again in Deno KV's expiry index), about
 * as much as everything else in the commit together. Measured with `deno task bench`: writing the
 * entries in the order commit cost 15 µs of the SQLite thread and 7 µs of the JS thread an order,
 * a quarter of the throughput. Written here, hundreds of orders share those pages.
 *
 * How: a cursor in the store (the last feed entry indexed, shared by every process) says how far
 * the index is written. `sync` lists the feed entries after it, and writes the entries of the
 * orders created there and the new cursor in one commit checked against the cursor it read, so
 * processes racing on it never skip anything (index writes are idempotent). The intake tells it
 * what each of its commits created (`created`), so this process's entries need no decoding, and
 * a sync follows shortly; a listing by table calls `sync` first, so it sees every order committed
 * before it.
 */
import { encodeTime } from "ulid";
import { decodeJson, NO_VALUE } from "../kv/codec.ts";
import { type FeedEntry, listEntriesFrom } from "../feed/feed.ts";
import { orderByTableKey, ordersPrefix, tableIndexCursorKey } from "../kv/keys.ts";
import type { Order } from "../schemas.ts";

/** How far the index is written: up to the feed entry at `versionstamp`, as of `at` (ms). */
export interface TableIndexCursor {
  versionstamp: string;
  at: number;
}

/** An order's index entry: its table and its id. */
type Entry = [tableId: string, orderId: string];

/** Tuning of the index writer. */
export interface TableIndexOptions {
  /** How long `soon` waits, so one sync covers many commits (default 100 ms). */
  delayMs?: number;
  /** How long feed entries live (`Config.eventRetentionMs`): a cursor older than this may have missed some. */
  retentionMs: number;
}

/** Most index entries in one commit (KV allows 1,000 mutations). */
const ENTRIES_PER_COMMIT = 500;
/** Orders are committed within seconds of being priced; a repair scans this far back to be sure. */
const REPAIR_MARGIN_MS = 60 * 60 * 1000;
/** Most commits remembered unwritten per location; past that the feed is decoded instead. */
const MAX_KNOWN = 10_000;

/** Keeps each location's orders-by-table index written up to the change feed. */
export class TableIndex {
  #kv: Deno.Kv;
  #options: TableIndexOptions;
  #chains = new Map<string, Promise<void>>();
  #queued = new Map<string, Promise<void>>();
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Per location: this process's commits not yet indexed, by versionstamp. */
  #known = new Map<string, Map<string, Entry[]>>();
  #closed = false;

  constructor(kv: Deno.Kv, options: TableIndexOptions) {
    this.#kv = kv;
    this.#options = options;
  }

  /** Resolves once every order created in the location before the call is in the index. */
  sync(locationId: string): Promise<void> {
    // A run that already started may have listed the feed before this call: queue one after it.
    const queued = this.#queued.get(locationId);
    if (queued) return queued;
    const run = (this.#chains.get(locationId) ?? Promise.resolve()).then(() => {
      this.#queued.delete(locationId);
      return this.#catchUp(locationId);
    });
    this.#queued.set(locationId, run);
    this.#chains.set(locationId, run.catch(() => {}));
    return run;
  }

  /** Learns what a commit of this process created, and asks for a sync. */
  created(locationId: string, versionstamp: string, orders: readonly Order[]): void {
    let known = this.#known.get(locationId);
    if (!known) this.#known.set(locationId, known = new Map());
    if (known.size >= MAX_KNOWN) known.clear(); // syncs are failing: decode when they work again
    known.set(versionstamp, orders.map((order) => [order.tableId, order.id]));
    this.soon(locationId);
  }

  /** Asks for a sync within `delayMs`; every ask until then shares it. */
  soon(locationId: string): void {
    if (this.#closed || this.#timers.has(locationId)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(locationId);
      this.sync(locationId).catch((error) => {
        // The next ask or listing goes on from the same cursor; nothing is lost.
        if (!this.#closed) console.error(`table index ${locationId}: sync failed`, error);
      });
    }, this.#options.delayMs ?? 100);
    this.#timers.set(locationId, timer);
  }

  /**
   * Stops taking asks. What was asked for and not yet written stays behind the cursor in the
   * feed, and the next sync of any process writes it.
   */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  async #catchUp(locationId: string): Promise<void> {
    for (;;) {
      const cursorEntry = await this.#kv.get<TableIndexCursor>(tableIndexCursorKey(locationId));
      const cursor = cursorEntry.value;
      const now = Date.now();
      const stale = cursor !== null &&
        now - cursor.at > this.#options.retentionMs - REPAIR_MARGIN_MS;
      if (stale) {
        // The feed after the cursor may have expired unread (the location was idle that long,
        // or no process ran): index every order since, straight from the orders.
        await this.#repair(locationId, cursor!.at - REPAIR_MARGIN_MS);
      }
      const known = this.#known.get(locationId);
      const entries: Entry[] = [];
      let last: string | null = null;
      let more = false;
      for await (
        const feed of listEntriesFrom(this.#kv, locationId, cursor?.versionstamp ?? null)
      ) {
        if (feed.versionstamp === cursor?.versionstamp) continue;
        if (entries.length >= ENTRIES_PER_COMMIT) {
          more = true;
          break;
        }
        entries.push(...(known?.get(feed.versionstamp) ?? createdIn(feed.bytes)));
        last = feed.versionstamp;
      }
      if (!last && !stale) return;
      const op = this.#kv.atomic().check(cursorEntry);
      for (const [tableId, orderId] of entries) {
        op.set(orderByTableKey(locationId, tableId, orderId), NO_VALUE);
      }
      const next: TableIndexCursor = { versionstamp: last ?? cursor!.versionstamp, at: now };
      const result = await op.set(tableIndexCursorKey(locationId), next).commit();
      // Not ok: another process moved the cursor meanwhile; read it again and go on from there.
      if (!result.ok) continue;
      if (known) {
        for (const versionstamp of known.keys()) {
          if (versionstamp <= next.versionstamp) known.delete(versionstamp);
        }
      }
      if (!more) return;
    }
  }

  /** Indexes every order of the location priced since `sinceMs` (ids are time-ordered). */
  async #repair(locationId: string, sinceMs: number): Promise<void> {
    const prefix = ordersPrefix(locationId);
    const start = [...prefix, encodeTime(Math.max(0, sinceMs), 10)];
    let op = this.#kv.atomic();
    let count = 0;
    for await (
      const entry of this.#kv.list<Uint8Array>({ start, end: [...prefix, "\uffff"] }, {
        batchSize: 500,
      })
    ) {
      const order = decodeJson<Order>(entry.value);
      op.set(orderByTableKey(locationId, order.tableId, order.id), NO_VALUE);
      if (++count % ENTRIES_PER_COMMIT === 0) {
        await op.commit();
        op = this.#kv.atomic();
      }
    }
    if (count % ENTRIES_PER_COMMIT) await op.commit();
  }
}

/** The index entries of the orders a feed entry created (a creation is the only change at version 1). */
function createdIn(bytes: Uint8Array): Entry[] {
  return decodeJson<FeedEntry>(bytes).orders.flatMap((order) =>
    order.version === 1 ? [[order.tableId, order.id] as Entry] : []
  );
}
