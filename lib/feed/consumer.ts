/**
 * Feed consumers: whatever must follow the change feed behind the commits (the orders-by-table
 * index now; the Postgres mirror and webhooks next) is a `FeedSink` driven by one `FeedConsumer`.
 *
 * The consumer reads the sink's cursor, lists the feed after it, and hands the sink batches of
 * whole feed entries; the sink applies a batch's effects and advances its cursor in one
 * transaction checked against the cursor it read, so processes racing on one sink never skip or
 * half-apply anything (they re-read and go on). After downtime it simply catches up from the
 * cursor. When the cursor is older than the feed's retention, entries after it may have expired
 * unread, so the sink repairs its effects from the source of truth first. Effects must be
 * idempotent: a batch may be applied again after a repair or a lost race.
 */
import { eventsHeadKey } from "../kv/keys.ts";
import {
  type FeedChange,
  type FeedPosition,
  listChangesAfter,
  readFeedEntry,
  readFeedEpoch,
} from "./feed.ts";

/** A sink's cursor as read, with what `apply` checks to advance it. */
export interface SinkCursor {
  /** The last change applied, or null when the sink has applied nothing yet. */
  position: FeedPosition | null;
  /** When the cursor was last advanced (ms since the epoch), or null when never. */
  at: number | null;
  /** Whatever the sink needs to check the cursor it read (a KV entry, a row version). */
  check?: unknown;
}

/** One batch for a sink: whole feed entries, in commit order. */
export interface SinkBatch {
  changes: FeedChange[];
  /** The cursor after the batch: its last change (null only while the feed is empty). */
  next: FeedPosition | null;
  /** The cursor as read: advance it only if it is still this. */
  read: SinkCursor;
  /** The time to record as the cursor's `at`. */
  now: number;
}

/** Something that follows the feed: where its cursor lives and how it applies changes. */
export interface FeedSink {
  /** For logs. */
  readonly name: string;
  /** Reads the sink's cursor in a location's feed. */
  readCursor(locationId: string): Promise<SinkCursor>;
  /**
   * Applies the batch's effects and moves the cursor to `batch.next` in one transaction, checked
   * against `batch.read`. False when the cursor had moved (nothing applied): the consumer reads
   * it again and goes on from there.
   */
  apply(locationId: string, batch: SinkBatch): Promise<boolean>;
  /**
   * The cursor may have missed feed entries that expired: bring the effects up to date from the
   * source of truth for everything since `sinceMs` (0: since the beginning).
   */
  repair(locationId: string, sinceMs: number): Promise<void>;
}

/** Tuning of a consumer. */
export interface ConsumerOptions {
  /** How long feed entries live (`Config.eventRetentionMs`). */
  retentionMs: number;
  /** How long `soon` waits, so one catch-up covers many commits (default 100 ms). */
  delayMs?: number;
  /** Most changes in one batch, as whole entries (default 500). */
  batchChanges?: number;
}

/** Feed entries are written within seconds of their orders being priced: repairs reach this far back. */
const REPAIR_MARGIN_MS = 60 * 60 * 1000;

/** Drives one sink over the feeds of the locations it is asked about. */
export class FeedConsumer {
  #kv: Deno.Kv;
  #sink: FeedSink;
  #options: Required<ConsumerOptions>;
  #chains = new Map<string, Promise<void>>();
  #queued = new Map<string, Promise<void>>();
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #watches = new Map<string, ReadableStream<unknown>>();
  #closed = false;

  constructor(kv: Deno.Kv, sink: FeedSink, options: ConsumerOptions) {
    this.#kv = kv;
    this.#sink = sink;
    this.#options = { delayMs: 100, batchChanges: 500, ...options };
  }

  /** Resolves once every change committed in the location before the call is applied. */
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

  /** Asks for a catch-up within `delayMs`; every ask until then shares it. */
  soon(locationId: string): void {
    if (this.#closed || this.#timers.has(locationId)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(locationId);
      this.sync(locationId).catch((error) => {
        // The next ask goes on from the same cursor; nothing is lost.
        if (!this.#closed) {
          console.error(`${this.#sink.name} ${locationId}: catch-up failed`, error);
        }
      });
    }, this.#options.delayMs);
    this.#timers.set(locationId, timer);
  }

  /** Follows a location: catches up now and after every commit to its feed, from any process. */
  follow(locationId: string): void {
    if (this.#closed || this.#watches.has(locationId)) return;
    const watch = this.#kv.watch([eventsHeadKey(locationId)]);
    this.#watches.set(locationId, watch);
    (async () => {
      try {
        for await (const _ of watch) this.soon(locationId);
      } catch {
        // The store closed; nothing more to follow.
      }
    })();
  }

  /**
   * Stops taking asks and following. What was not applied yet stays behind the cursor in the
   * feed, and the next catch-up of any process applies it.
   */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const watch of this.#watches.values()) watch.cancel().catch(() => {});
    this.#watches.clear();
  }

  async #catchUp(locationId: string): Promise<void> {
    for (;;) {
      const read = await this.#sink.readCursor(locationId);
      const now = Date.now();
      let repairSince: number | null = null;
      if (read.at !== null && now - read.at > this.#options.retentionMs - REPAIR_MARGIN_MS) {
        repairSince = read.at - REPAIR_MARGIN_MS;
      } else if (read.position === null && read.at === null) {
        // Never applied anything: the feed may have lost entries before this sink existed.
        repairSince = 0;
      }
      const epoch = await readFeedEpoch(this.#kv);
      let after = read.position;
      if (
        after &&
        ((after.epoch ?? "") !== epoch ||
          !(await readFeedEntry(this.#kv, locationId, after.versionstamp)))
      ) {
        // The cursor is not a place in this feed: the store was imported since (a new epoch:
        // versionstamps do not move, and new ones may repeat old ones), or its entry expired
        // while nothing new came. Bring the effects up to date since the cursor's time, then
        // apply the whole feed again; effects are idempotent.
        const since = read.at === null ? 0 : read.at - REPAIR_MARGIN_MS;
        repairSince = Math.min(repairSince ?? since, since);
        after = null;
      }
      if (repairSince !== null) await this.#sink.repair(locationId, repairSince);
      const changes: FeedChange[] = [];
      let more = false;
      for await (const change of listChangesAfter(this.#kv, locationId, after)) {
        const last = changes[changes.length - 1];
        // Batches end between entries, so a cursor always sits at an entry's last change.
        if (
          changes.length >= this.#options.batchChanges && last.versionstamp !== change.versionstamp
        ) {
          more = true;
          break;
        }
        changes.push(change);
      }
      const newest = changes[changes.length - 1];
      const next = newest
        ? { versionstamp: newest.versionstamp, index: newest.index, ...(epoch ? { epoch } : {}) }
        : after;
      const stale = read.at === null || now - read.at > this.#options.retentionMs / 2;
      // Nothing new: done, unless the cursor's time should move on so no repair is needed later,
      // or it must leave an entry that is not in the feed.
      if (!newest && !stale && after === read.position) return;
      const applied = await this.#sink.apply(locationId, { changes, next, read, now });
      if (applied && !more) return;
    }
  }
}
