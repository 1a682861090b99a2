/**
 * The change-feed hub: one per location per process. It keeps a cursor into the location's
 * change feed and the location's open orders in memory, exactly as of that cursor. It watches the
 * location's head key and, on each notification (the watch may collapse several commits into
 * one), lists the feed after its cursor and fans the changes out to every subscriber of this
 * process. Streams never watch or list by themselves, apart from a one-off replay of a resume
 * point older than the hub's in-memory window.
 *
 * Gap-free start: the hub reads the newest feed entry (its cursor), then the open orders, then
 * lists the feed after the cursor, keeping for each order the highest version seen. Every state
 * the open-order read returned was committed before that listing began, so after it each order
 * is exactly as of the new cursor. From then on changes arrive in commit order.
 */
import {
  comparePositions as compare,
  type FeedChange,
  feedEventId,
  type FeedPosition,
  idInEpoch,
  listChangesAfter,
  newestPosition,
  type OrderFeedChange,
  parseFeedEventId,
  readFeedEntry,
  readFeedEpoch,
  withEpoch,
} from "./feed.ts";
import { eventsHeadKey } from "../kv/keys.ts";
import { isOpen } from "../orders/lifecycle.ts";
import { listOpenOrders, orderChangeStamps } from "../orders/store.ts";
import type { Order } from "../schemas.ts";

/** Why a subscription ended. */
export type EndReason = "unsubscribed" | "overflow" | "shutdown" | "error";

/** Tuning of a hub. */
export interface HubOptions {
  /** Changes kept in memory for fast, exact resumes. */
  windowSize: number;
  /** Most changes a subscriber may have queued unread before it is dropped as too slow. */
  maxQueued: number;
  /**
   * Deliveries (subscriber × catch-up) a second the hub aims at. With many subscribers it waits
   * a little between catch-ups (at most `maxGapMs`), so each write to a stream carries more
   * changes: the cost of a write is per stream, not per change.
   */
  deliveriesPerSecond: number;
  /** The longest wait between catch-ups. */
  maxGapMs: number;
}

/** Defaults: ~10 s of history at 1,000 orders/s, and ~5 s of lag before a client is dropped. */
export const DEFAULT_HUB_OPTIONS: HubOptions = {
  windowSize: 10_000,
  maxQueued: 5_000,
  deliveriesPerSecond: 25_000,
  maxGapMs: 20,
};

/** What a subscription starts with. */
export type SubscriptionStart =
  /** A fresh start: the open orders as of `cursor` (null when the feed is empty). */
  | { kind: "snapshot"; orders: readonly Order[]; cursor: string | null }
  /** A resume: every change after the requested id, in commit order. */
  | { kind: "replay"; changes: readonly OrderFeedChange[] };

/** What to subscribe to. */
export interface SubscribeOptions {
  /** Resume after this event id; a snapshot when absent, malformed or too old to replay. */
  after?: string | null;
  /** Only changes of this order. */
  orderId?: string;
}

/**
 * One consumer's view of the hub. Live changes queue here, bounded by `maxQueued`; the consumer
 * drains them with `take()` and waits for more with `wait()`.
 */
export class Subscription {
  #start: SubscriptionStart;
  #hub: LocationHub;
  #queue: OrderFeedChange[] = [];
  #after: FeedPosition | null;
  #orderId: string | undefined;
  #ended: EndReason | null = null;
  #wake: (() => void) | null = null;

  /** @internal Built by `LocationHub.subscribe`. */
  constructor(
    hub: LocationHub,
    start: SubscriptionStart,
    filter: { after: FeedPosition | null; orderId?: string },
  ) {
    this.#hub = hub;
    this.#start = start;
    this.#after = filter.after;
    this.#orderId = filter.orderId;
  }

  /** What the subscription started with. */
  get start(): SubscriptionStart {
    return this.#start;
  }

  /** @internal Sets the replay read from the store. */
  setStart(start: SubscriptionStart): void {
    this.#start = start;
  }

  /** Why it ended, or null while live. Queued changes can still be taken after the end. */
  get ended(): EndReason | null {
    return this.#ended;
  }

  /** Changes queued and not taken yet. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Takes every queued change, oldest first. */
  take(): OrderFeedChange[] {
    const changes = this.#queue;
    this.#queue = [];
    return changes;
  }

  /**
   * Resolves when changes are queued, the subscription ended, or `wake()` was called. No timer
   * per wait: with hundreds of streams, one per catch-up and stream cost more than the writes.
   */
  wait(): Promise<void> {
    if (this.#queue.length || this.#ended) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = null;
        resolve();
      };
    });
  }

  /** Resolves a pending `wait()` now (the consumer has something of its own to do). */
  wake(): void {
    this.#wake?.();
  }

  /** Stops receiving changes. */
  close(): void {
    this.#end("unsubscribed");
  }

  /** @internal Called by the hub with each batch of changes, in commit order. */
  deliver(changes: readonly OrderFeedChange[]): void {
    if (this.#ended) return;
    for (const change of changes) {
      if (this.#orderId !== undefined && change.order.id !== this.#orderId) continue;
      if (this.#after) {
        if (compare(change, this.#after) <= 0) continue;
        this.#after = null; // the feed is in order: nothing later can be at or before it
      }
      this.#queue.push(change);
    }
    if (this.#queue.length > this.#hub.options.maxQueued) {
      this.#queue = [];
      this.#end("overflow");
      return;
    }
    if (this.#queue.length) this.#wake?.();
  }

  /** @internal Ends the subscription. */
  end(reason: EndReason): void {
    this.#end(reason);
  }

  #end(reason: EndReason): void {
    if (this.#ended) return;
    this.#ended = reason;
    this.#hub.detach(this);
    this.#wake?.();
  }
}

/** The hub of one location. Build it with `Hubs.get`. */
export class LocationHub {
  /** The location it follows. */
  readonly locationId: string;
  /** Its tuning. */
  readonly options: HubOptions;
  #kv: Deno.Kv;
  #cursor: FeedPosition | null = null;
  /** The store's feed epoch; every id this hub sends or takes carries it. */
  #epoch = "";
  #open = new Map<string, Order>();
  #snapshot: Order[] | null = null;
  /** The most recent order changes, in order; `#windowFloor` is the position just before them. */
  #window: OrderFeedChange[] = [];
  #windowFloor: FeedPosition | null = null;
  #subscribers = new Set<Subscription>();
  #watch: ReadableStream<Deno.KvEntryMaybe<unknown>[]> | null = null;
  #chain: Promise<void> = Promise.resolve();
  #queued: Promise<void> | null = null;
  #lastCatchUp = 0;
  #closed = false;
  #onFail: (hub: LocationHub) => void;

  /** @internal Use `Hubs.get`. */
  constructor(
    kv: Deno.Kv,
    locationId: string,
    options: HubOptions,
    onFail: (hub: LocationHub) => void,
  ) {
    this.#kv = kv;
    this.locationId = locationId;
    this.options = options;
    this.#onFail = onFail;
  }

  /** The id of the last change the hub has taken in, or null when the feed is empty. */
  get cursor(): string | null {
    return this.#cursor && withEpoch(feedEventId(this.#cursor), this.#epoch);
  }

  /** How many subscriptions are live. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** The open orders as of the cursor, oldest first. Do not mutate. */
  openOrders(): readonly Order[] {
    this.#snapshot ??= [...this.#open.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    return this.#snapshot;
  }

  /** @internal Loads the open orders and the cursor, then starts watching. */
  async start(): Promise<void> {
    this.#epoch = await readFeedEpoch(this.#kv);
    this.#cursor = await newestPosition(this.#kv, this.locationId);
    for (const order of await listOpenOrders(this.#kv, this.locationId)) {
      this.#open.set(order.id, order);
    }
    this.#windowFloor = this.#cursor;
    await this.#catchUp();
    for (const [id, order] of this.#open) if (!isOpen(order.status)) this.#open.delete(id);
    this.#snapshot = null;
    this.#startWatch();
  }

  /**
   * Subscribes. Fresh (no `after`, or one too old to replay): starts with the open orders as of
   * the cursor. Resuming: starts with every change after `after`, from memory when recent, else
   * from the store; live changes queue meanwhile, so nothing is missed or repeated.
   */
  async subscribe(options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.#closed) throw new Error("hub closed");
    // An id of another epoch (from before an import) is not a place in this feed: a snapshot.
    const inEpoch = options.after ? idInEpoch(options.after, this.#epoch) : null;
    const after = inEpoch ? parseFeedEventId(inEpoch) : null;
    const filter = (changes: readonly OrderFeedChange[]) =>
      options.orderId === undefined
        ? changes
        : changes.filter((c) => c.order.id === options.orderId);

    if (after) {
      const cursor = this.#cursor;
      // Recent: replay from memory, synchronously with joining the live fan-out.
      if (
        cursor && compare(after, cursor) <= 0 &&
        (this.#windowFloor
          ? compare(after, this.#windowFloor) >= 0
          // The feed was empty when the hub started: the window holds all of it.
          : this.#window.length > 0 && compare(after, this.#window[0]) >= 0) &&
        // Only a place this hub knows is in its feed: versionstamps are the store's, so an id
        // of another location's feed may fall in this window's range.
        this.#knows(after)
      ) {
        const start = this.#window.findIndex((change) => compare(change, after) > 0);
        const changes = start < 0 ? [] : this.#window.slice(start);
        return this.#attach({ kind: "replay", changes: filter(changes) }, null, options.orderId);
      }
      if (!cursor || compare(after, cursor) > 0) {
        // Ahead of this hub (another process served it): follow from there if the id is real.
        const subscription = this.#attach({ kind: "replay", changes: [] }, after, options.orderId);
        const entry = await readFeedEntry(this.#kv, this.locationId, after.versionstamp);
        if (entry && after.index < entry.changes.length) return subscription;
        subscription.close();
      } else {
        // Older than memory: join the fan-out now (live changes queue), then read what lies
        // between `after` and the cursor of that moment from the store.
        const subscription = this.#attach({ kind: "replay", changes: [] }, null, options.orderId);
        // One order's resume reads that order's own entries only, however old `after` is.
        const replayed = options.orderId === undefined
          ? await this.#readBetween(after, cursor)
          : await this.#readOrderBetween(options.orderId, after, cursor);
        if (replayed) {
          subscription.setStart({ kind: "replay", changes: filter(replayed) });
          return subscription;
        }
        subscription.close(); // too old: its entry expired, so fall through to a snapshot
      }
    }
    return this.#attach(
      { kind: "snapshot", orders: this.openOrders(), cursor: this.cursor },
      null,
      options.orderId,
    );
  }

  /** Whether `position` is a change in the window, the window's floor or the cursor. */
  #knows(position: FeedPosition): boolean {
    const same = (other: FeedPosition | null) => other !== null && compare(other, position) === 0;
    if (same(this.#cursor) || same(this.#windowFloor)) return true;
    let low = 0;
    let high = this.#window.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const order = compare(this.#window[middle], position);
      if (order === 0) return true;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }

  /** Resolves once the hub has taken in every commit made before the call. */
  sync(): Promise<void> {
    return this.#request();
  }

  /** Stops watching and ends every subscription with `reason`. */
  close(reason: EndReason = "shutdown"): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch?.cancel().catch(() => {});
    for (const subscription of [...this.#subscribers]) subscription.end(reason);
  }

  /** @internal A subscription leaves the fan-out. */
  detach(subscription: Subscription): void {
    this.#subscribers.delete(subscription);
  }

  #attach(start: SubscriptionStart, after: FeedPosition | null, orderId?: string): Subscription {
    const subscription = new Subscription(this, start, { after, orderId });
    this.#subscribers.add(subscription);
    return subscription;
  }

  /** The changes in (after, until] from the store, or null when `after`'s entry has expired. */
  async #readBetween(
    after: FeedPosition,
    until: FeedPosition,
  ): Promise<OrderFeedChange[] | null> {
    const entry = await readFeedEntry(this.#kv, this.locationId, after.versionstamp);
    if (!entry || after.index >= entry.changes.length) return null;
    const changes: OrderFeedChange[] = [];
    for await (const change of listChangesAfter(this.#kv, this.locationId, after)) {
      if (compare(change, until) > 0) break;
      change.id = withEpoch(change.id, this.#epoch);
      if (change.type === "order") changes.push(change);
    }
    return changes;
  }

  /**
   * One order's changes in (after, until] from the store, or null when `after`'s entry has
   * expired: the entries its index names (a handful), not the feed between.
   */
  async #readOrderBetween(
    orderId: string,
    after: FeedPosition,
    until: FeedPosition,
  ): Promise<OrderFeedChange[] | null> {
    const first = await readFeedEntry(this.#kv, this.locationId, after.versionstamp);
    if (!first || after.index >= first.changes.length) return null;
    const stamps = await orderChangeStamps(this.#kv, this.locationId, orderId);
    const changes: OrderFeedChange[] = [];
    for (const versionstamp of stamps) {
      if (versionstamp < after.versionstamp || versionstamp > until.versionstamp) continue;
      const entry = versionstamp === after.versionstamp
        ? first
        : await readFeedEntry(this.#kv, this.locationId, versionstamp);
      const index = entry?.changes.findIndex((c) => c.type === "order" && c.order.id === orderId);
      if (!entry || index === undefined || index < 0) continue;
      const position = { versionstamp, index };
      if (compare(position, after) <= 0 || compare(position, until) > 0) continue;
      const change = entry.changes[index] as Extract<FeedChange, { type: "order" }>;
      changes.push({
        ...change,
        ...position,
        id: withEpoch(feedEventId(position), this.#epoch),
      });
    }
    return changes;
  }

  #startWatch(): void {
    if (this.#closed) return;
    const watch = this.#watch = this.#kv.watch([eventsHeadKey(this.locationId)]);
    (async () => {
      try {
        for await (const [head] of watch) {
          if (this.#closed) break;
          const known = this.#cursor?.versionstamp;
          if (head.versionstamp && (!known || head.versionstamp > known)) {
            this.#request().catch(() => {});
          }
        }
      } catch (error) {
        this.#fail(error);
      }
    })();
  }

  /** Queues a catch-up; requests made before it starts share it. */
  #request(): Promise<void> {
    if (this.#queued) return this.#queued;
    const run = this.#chain.then(async () => {
      const gap = Math.min(
        this.options.maxGapMs,
        (this.#subscribers.size / this.options.deliveriesPerSecond) * 1000,
      );
      const wait = this.#lastCatchUp + gap - performance.now();
      if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
      this.#queued = null;
      this.#lastCatchUp = performance.now();
      return this.#closed ? undefined : this.#catchUp();
    });
    this.#queued = run;
    this.#chain = run.catch((error) => this.#fail(error));
    return run;
  }

  /** Lists the feed after the cursor and takes every change in, in batches. */
  async #catchUp(): Promise<void> {
    let batch: FeedChange[] = [];
    for await (const change of listChangesAfter(this.#kv, this.locationId, this.#cursor)) {
      change.id = withEpoch(change.id, this.#epoch);
      batch.push(change);
      if (batch.length >= 500) {
        this.#takeIn(batch);
        batch = [];
      }
    }
    if (batch.length) this.#takeIn(batch);
  }

  #takeIn(all: FeedChange[]): void {
    if (this.#closed) return;
    const changes: OrderFeedChange[] = [];
    for (const change of all) {
      if (change.type !== "order") continue;
      const { order } = change;
      const known = this.#open.get(order.id);
      if (!known || known.version < order.version) {
        if (!isOpen(order.status) && this.#watch) this.#open.delete(order.id);
        else this.#open.set(order.id, order);
      }
      changes.push(change);
    }
    this.#window.push(...changes);
    this.#cursor = all[all.length - 1];
    this.#snapshot = null;
    const overflow = this.#window.length - this.options.windowSize;
    if (overflow > 0) {
      this.#windowFloor = this.#window[overflow - 1];
      this.#window = this.#window.slice(overflow);
    }
    if (!changes.length) return;
    for (const subscription of this.#subscribers) subscription.deliver(changes);
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    console.error(`hub ${this.locationId}: the change feed failed`, error);
    this.close("error");
    this.#onFail(this);
  }
}

/** The hubs of this process, one per location, started on first use. */
export class Hubs {
  #kv: Deno.Kv;
  #options: HubOptions;
  #hubs = new Map<string, Promise<LocationHub>>();
  #started = new Set<LocationHub>();
  #closed = false;

  constructor(kv: Deno.Kv, options: Partial<HubOptions> = {}) {
    this.#kv = kv;
    this.#options = { ...DEFAULT_HUB_OPTIONS, ...options };
  }

  /** The location's hub, started and caught up. */
  get(locationId: string): Promise<LocationHub> {
    if (this.#closed) return Promise.reject(new Error("hubs closed"));
    let hub = this.#hubs.get(locationId);
    if (!hub) {
      // A failed hub leaves the registry, so the next use starts a new one.
      const forget = () => {
        if (this.#hubs.get(locationId) === hub) this.#hubs.delete(locationId);
        this.#started.delete(created);
      };
      const created = new LocationHub(this.#kv, locationId, this.#options, forget);
      hub = created.start().then(() => {
        if (this.#closed) created.close();
        else this.#started.add(created);
        return created;
      });
      hub.catch(forget);
      this.#hubs.set(locationId, hub);
    }
    return hub;
  }

  /** Stops every hub, ending their subscriptions with "shutdown" (synchronously). */
  close(): void {
    this.#closed = true;
    for (const hub of this.#started) hub.close();
    this.#started.clear();
    this.#hubs.clear();
  }
}
