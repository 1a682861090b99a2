/**
 * The mirror's worker: follows every location's change feed and applies it to Postgres through
 * one `FeedConsumer` with the mirror sink. It runs behind the commits, so orders never wait for
 * Postgres: when Postgres is down or slow, catch-ups fail or take long, the worker backs off
 * (exponentially, with jitter) and catches up from the cursor in Postgres by itself once it
 * answers again. Migrations are applied before the first catch-up, and again after Postgres
 * comes back if they had not been.
 *
 * Locations: those in the store at start, and every `LOCATION_POLL_MS` the list again (a new
 * location's first commit is on its own feed, which nothing here watched yet). Each location's
 * head key is watched, so commits of any process wake the worker.
 *
 * Lag: the worker counts the feed entries it has not applied yet (listing only what was
 * committed since it last looked) and publishes state and lag to the store every second
 * (`status.ts`).
 */
import type postgres from "postgres";
import { listLocations } from "../catalog/locations.ts";
import { FeedConsumer } from "../feed/consumer.ts";
import {
  comparePositions,
  decodeFeedEntry,
  type FeedPosition,
  newestPosition,
} from "../feed/feed.ts";
import { eventKey, eventsHeadKey, eventsPrefix } from "../kv/keys.ts";
import { postgresClient } from "./client.ts";
import { migrate } from "./migrate.ts";
import { mirrorSink, readMirrorCursor, resetMirrorCursor } from "./sink.ts";
import { type MirrorState, type MirrorStatus, publishStatus } from "./status.ts";

/** A running mirror, wherever it runs. */
export interface MirrorHandle {
  /** Stops following; what was not applied stays behind the cursor for the next run. */
  close(): Promise<void>;
}

/** Settings of a mirror worker. */
export interface MirrorOptions {
  databaseUrl: string;
  /** How long feed entries live (`Config.eventRetentionMs`). */
  retentionMs: number;
  /** Most changes in one Postgres transaction (whole feed entries). */
  batchChanges?: number;
  /** How long a wake-up waits so one catch-up covers many commits (default 100 ms). */
  delayMs?: number;
  /**
   * Where the state goes every second (default: `publishStatus` to this store). A Worker hands
   * it to the thread that owns the store instead: a second handle writing to one local SQLite
   * file can make the first one's commits fail with "database is locked".
   */
  publish?: (status: MirrorStatus) => Promise<void> | void;
}

const LOCATION_POLL_MS = 5_000;
const STATUS_EVERY_MS = 1_000;
const IDLE_CHECK_MS = 1_000;
const BACKOFF_FIRST_MS = 200;
const BACKOFF_MAX_MS = 2_000;
/** Lag above which the state is `behind`. */
const BEHIND_SECONDS = 5;
/** Most feed entries the lag meter reads in one look. */
const METER_ENTRIES = 20_000;

/** A feed entry not applied yet: where, when committed, how many changes. */
interface PendingEntry {
  versionstamp: string;
  at: number;
  count: number;
}

interface Follow {
  locationId: string;
  wake: () => void;
  woken: Promise<void>;
  dirty: boolean;
  /** Consecutive failures, for the backoff. */
  failures: number;
  pending: PendingEntry[];
  /** The last feed entry the meter counted, or null before it looked. */
  seen: FeedPosition | null;
  metered: boolean;
  metering: Promise<void> | null;
  watch: ReadableStream<unknown>;
  done: Promise<void>;
}

/** Follows every location's feed into Postgres until closed. */
export class MirrorRunner implements MirrorHandle {
  #kv: Deno.Kv;
  #sql: postgres.Sql;
  #consumer: FeedConsumer;
  #options: Required<Omit<MirrorOptions, "publish">>;
  #publish: (status: MirrorStatus) => Promise<void> | void;
  #follows = new Map<string, Follow>();
  #closed = false;
  #migrated: Promise<void> | null = null;
  #reachable = true;
  #lastError = "";
  #timers: ReturnType<typeof setInterval>[] = [];
  #loopsDone: Promise<void>[] = [];

  constructor(kv: Deno.Kv, options: MirrorOptions) {
    this.#kv = kv;
    const { publish, ...rest } = options;
    this.#options = { batchChanges: 2000, delayMs: 100, ...rest };
    this.#publish = publish ?? ((status) => publishStatus(kv, status));
    this.#sql = postgresClient(options.databaseUrl, {
      name: "seatserve-mirror",
      asyncCommit: true,
    });
    const sink = mirrorSink(kv, this.#sql, {
      onApplied: (locationId, batch) => this.#applied(locationId, batch.next),
      onCursor: (locationId, cursor) => this.#applied(locationId, cursor.position),
    });
    this.#consumer = new FeedConsumer(kv, sink, {
      retentionMs: options.retentionMs,
      batchChanges: this.#options.batchChanges,
    });
  }

  /** Starts following every location; returns at once. */
  start(): this {
    this.#discover().then(() => this.#report());
    this.#timers.push(setInterval(() => this.#discover(), LOCATION_POLL_MS));
    this.#timers.push(setInterval(() => this.#report(), STATUS_EVERY_MS));
    return this;
  }

  /** Resolves once everything committed in the location before the call is in Postgres. */
  async sync(locationId: string): Promise<void> {
    await this.#ready();
    await this.#consumer.sync(locationId);
  }

  /** The state and lag now, over all locations followed. */
  async status(): Promise<MirrorStatus> {
    let lagEvents = 0;
    let oldest = Infinity;
    for (const follow of this.#follows.values()) {
      await this.#meter(follow);
      for (const entry of follow.pending) lagEvents += entry.count;
      if (follow.pending.length) oldest = Math.min(oldest, follow.pending[0].at);
    }
    const lagSeconds = oldest === Infinity
      ? 0
      : Math.max(0, Math.round((Date.now() - oldest) / 100) / 10);
    const state: MirrorState = !this.#reachable
      ? "down"
      : lagSeconds >= BEHIND_SECONDS
      ? "behind"
      : "ok";
    return { state, lagEvents, lagSeconds };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#consumer.close();
    for (const follow of this.#follows.values()) {
      follow.watch.cancel().catch(() => {});
      follow.wake();
    }
    await Promise.allSettled(this.#loopsDone);
    await this.#sql.end({ timeout: 2 }).catch(() => {});
  }

  #discover(): Promise<void> {
    return listLocations(this.#kv).then((locations) => {
      for (const location of locations) this.#follow(location.id);
    }).catch((error) => {
      if (!this.#closed) console.error("postgres mirror: could not list locations", error);
    });
  }

  #follow(locationId: string): void {
    if (this.#closed || this.#follows.has(locationId)) return;
    const watch = this.#kv.watch([eventsHeadKey(locationId)]);
    const follow: Follow = {
      locationId,
      wake: () => {},
      woken: Promise.resolve(),
      dirty: true,
      failures: 0,
      pending: [],
      seen: null,
      metered: false,
      metering: null,
      watch,
      done: Promise.resolve(),
    };
    this.#arm(follow);
    this.#follows.set(locationId, follow);
    (async () => {
      try {
        for await (const _ of watch) {
          follow.dirty = true;
          follow.wake();
        }
      } catch {
        // The store closed.
      }
    })();
    this.#loopsDone.push(this.#loop(follow));
  }

  #arm(follow: Follow): void {
    follow.woken = new Promise((resolve) => follow.wake = resolve);
  }

  async #loop(follow: Follow): Promise<void> {
    while (!this.#closed) {
      if (!follow.dirty) {
        await Promise.race([follow.woken, sleep(IDLE_CHECK_MS)]);
        this.#arm(follow);
        if (this.#closed) return;
        if (!follow.dirty) continue;
      }
      // Let commits gather so one transaction carries many.
      await sleep(this.#options.delayMs);
      follow.dirty = false;
      try {
        await this.#ready();
        await this.#checkEpoch(follow.locationId);
        await this.#consumer.sync(follow.locationId);
        follow.failures = 0;
        this.#markReachable();
      } catch (error) {
        if (this.#closed) return;
        follow.dirty = true;
        follow.failures++;
        this.#markUnreachable(error);
        const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (follow.failures - 1));
        await sleep(ceiling / 2 + Math.random() * ceiling / 2);
      }
    }
  }

  /** Applies the migrations once per run (again after a failure). */
  #ready(): Promise<void> {
    if (!this.#migrated) {
      this.#migrated = migrate(this.#sql).then(() => {}, (error) => {
        this.#migrated = null;
        throw error;
      });
    }
    return this.#migrated;
  }

  /**
   * A cursor ahead of the feed's newest entry is from another store (an export restored into a
   * new one re-appends the feed with new versionstamps): start over from the store and its feed.
   */
  async #checkEpoch(locationId: string): Promise<void> {
    const cursor = await readMirrorCursor(this.#sql, locationId);
    if (!cursor.position) return;
    const newest = await newestPosition(this.#kv, locationId);
    if (!newest || comparePositions(cursor.position, newest) > 0) {
      console.warn(
        `postgres mirror ${locationId}: the cursor is ahead of the feed (a restored store?); ` +
          "rebuilding this location from the store",
      );
      await resetMirrorCursor(this.#sql, locationId);
      await this.#sql`UPDATE menu_items SET feed_position = '' WHERE location_id = ${locationId}`;
      await this.#sql`UPDATE tables SET feed_position = '' WHERE location_id = ${locationId}`;
      await this.#sql`UPDATE locations SET feed_position = '' WHERE id = ${locationId}`;
    }
  }

  #markReachable(): void {
    if (!this.#reachable) console.log("postgres mirror: Postgres answers again; catching up");
    this.#reachable = true;
    this.#lastError = "";
  }

  #markUnreachable(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#reachable || message !== this.#lastError) {
      console.error(`postgres mirror: Postgres failed (${message}); retrying with backoff`);
    }
    this.#reachable = false;
    this.#lastError = message;
  }

  /** The cursor is at `position` (applied here or elsewhere): those entries are no longer lag. */
  #applied(locationId: string, position: FeedPosition | null): void {
    const follow = this.#follows.get(locationId);
    if (!follow || !position || !follow.metered) return;
    const next = position.versionstamp;
    // One splice per batch (pending holds every entry of an outage's backlog).
    let lo = 0;
    let hi = follow.pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (follow.pending[mid].versionstamp <= next) lo = mid + 1;
      else hi = mid;
    }
    if (lo) follow.pending.splice(0, lo);
    if (!follow.seen || follow.seen.versionstamp < next) follow.seen = position;
  }

  /** Counts the feed entries committed since the meter last looked (one look at a time). */
  #meter(follow: Follow): Promise<void> {
    follow.metering ??= this.#look(follow).finally(() => follow.metering = null);
    return follow.metering;
  }

  async #look(follow: Follow): Promise<void> {
    const locationId = follow.locationId;
    if (!follow.metered) {
      // Start from the cursor when Postgres answers, else from the feed's head (a lower bound).
      follow.metered = true;
      follow.seen = await readMirrorCursor(this.#sql, locationId).then(
        (cursor) => cursor.position,
        async () => await newestPosition(this.#kv, locationId),
      );
      if (follow.seen === null && await newestPosition(this.#kv, locationId)) {
        follow.seen = { versionstamp: "", index: -1 };
      }
    }
    const after = follow.seen;
    const selector: Deno.KvListSelector = after && after.versionstamp
      ? {
        start: eventKey(locationId, after.versionstamp),
        end: [...eventsPrefix(locationId), "\uffff"],
      }
      : { prefix: eventsPrefix(locationId) };
    let read = 0;
    for await (const entry of this.#kv.list<Uint8Array>(selector, { batchSize: 500 })) {
      const versionstamp = entry.key[entry.key.length - 1] as string;
      if (after && versionstamp <= after.versionstamp) continue;
      const decoded = decodeFeedEntry(entry.value);
      follow.pending.push({
        versionstamp,
        at: Date.parse(decoded.at),
        count: decoded.changes.length,
      });
      follow.seen = { versionstamp, index: decoded.changes.length - 1 };
      if (++read >= METER_ENTRIES) break;
    }
  }

  async #report(): Promise<void> {
    try {
      await this.#publish(await this.status());
    } catch (error) {
      if (!this.#closed) console.error("postgres mirror: could not publish its status", error);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
