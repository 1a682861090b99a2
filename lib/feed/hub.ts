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
import type { Catalog, CatalogSnapshot } from "../catalog/cache.ts";
import { KitchenModel } from "../kitchen/estimates.ts";
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
  type StreamFeedChange,
  withEpoch,
} from "./feed.ts";
import { eventsHeadKey } from "../kv/keys.ts";
import { isOpen } from "../orders/lifecycle.ts";
import { listOpenOrders, orderChangeStamps } from "../orders/store.ts";
import { listOpenServiceRequests, type ServiceRequest } from "../floor/requests.ts";
import type { Order } from "../schemas.ts";
import { getSettings, type ScreenSettings, screenSettings } from "../kitchen/settings.ts";

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
  /** How often guest streams' estimates are looked at again as time passes (`eta` events). */
  etaTickMs: number;
}

/** Defaults: ~10 s of history at 1,000 orders/s, and ~5 s of lag before a client is dropped. */
export const DEFAULT_HUB_OPTIONS: HubOptions = {
  windowSize: 10_000,
  maxQueued: 5_000,
  deliveriesPerSecond: 25_000,
  maxGapMs: 20,
  etaTickMs: 15_000,
};

/** How long a pass of estimates serves reads, and new orders joining the queue's end. */
const FRESH_MS = 250;
const TAIL_FRESH_MS = 5_000;

/** An estimate moves a guest stream's `eta` when it moves by this much or more. */
const ETA_STEP_MS = 60_000;

/** What a subscription starts with. */
export type SubscriptionStart =
  /** A fresh start: the open orders as of `cursor` (null when the feed is empty). */
  | {
    kind: "snapshot";
    orders: readonly Order[];
    cursor: string | null;
    /** For subscriptions with `requests`: the open service requests as of `cursor`. */
    requests?: readonly ServiceRequest[];
    /** For staff subscriptions: the screen settings as of `cursor`. */
    settings?: ScreenSettings;
  }
  /** A resume: every change after the requested id, in commit order. */
  | { kind: "replay"; changes: readonly StreamFeedChange[] };

/** What to subscribe to. */
export interface SubscribeOptions {
  /** Resume after this event id; a snapshot when absent, malformed or too old to replay. */
  after?: string | null;
  /** Only changes of this order. */
  orderId?: string;
  /** Only orders with a line for this station. */
  station?: string;
  /** Also service requests (the floor's kitchen stream). */
  requests?: boolean;
}

/** What a subscription lets through. */
interface Filter {
  orderId?: string;
  station?: string;
  requests?: boolean;
}

/** Whether a change passes a subscription's filter. */
function passes(change: StreamFeedChange, filter: Filter): boolean {
  if (change.type === "service_request") return !!filter.requests && filter.orderId === undefined;
  if (change.type === "settings") return filter.orderId === undefined;
  if (filter.orderId !== undefined) return change.order.id === filter.orderId;
  return filter.station === undefined || hasStation(change.order, filter.station);
}

/** Whether an order has a line for `station`. */
export function hasStation(order: Order, station: string): boolean {
  for (const line of order.items) if (line.station === station) return true;
  return false;
}

/**
 * One consumer's view of the hub. Live changes queue here, bounded by `maxQueued`; the consumer
 * drains them with `take()` and waits for more with `wait()`.
 */
export class Subscription {
  #start: SubscriptionStart;
  #hub: LocationHub;
  #queue: StreamFeedChange[] = [];
  #after: FeedPosition | null;
  #filter: Filter;
  #ended: EndReason | null = null;
  #wake: (() => void) | null = null;
  /** A guest stream's last estimate sent (ms, null for none), and one due to be sent. */
  #eta: number | null | undefined;
  #etaDue: { estimatedReadyAt: string | null } | null = null;

  /** @internal Built by `LocationHub.subscribe`. */
  constructor(
    hub: LocationHub,
    start: SubscriptionStart,
    filter: Filter & { after: FeedPosition | null },
  ) {
    this.#hub = hub;
    this.#start = start;
    this.#after = filter.after;
    this.#filter = filter;
  }

  /** The order a guest stream follows, if it is one. */
  get orderId(): string | undefined {
    return this.#filter.orderId;
  }

  /** @internal The estimate a guest stream has sent (with an `order` event or an `eta`). */
  sentEstimate(estimatedReadyAt: string | null | undefined): void {
    if (estimatedReadyAt === undefined) return;
    this.#eta = estimatedReadyAt === null ? null : Date.parse(estimatedReadyAt);
  }

  /**
   * @internal The hub's current estimate of the followed order: an `eta` is due when it moved by
   * a minute or more from the one sent (or appeared, or went).
   */
  offerEstimate(estimate: number | null): void {
    if (this.#ended || this.#eta === undefined) return;
    const moved = estimate === null || this.#eta === null
      ? estimate !== this.#eta
      : Math.abs(estimate - this.#eta) >= ETA_STEP_MS;
    if (!moved) return;
    this.#eta = estimate;
    this.#etaDue = {
      estimatedReadyAt: estimate === null ? null : new Date(estimate).toISOString(),
    };
    this.#wake?.();
  }

  /** An `eta` event's data due to be sent, or null. */
  takeEta(): { estimatedReadyAt: string | null } | null {
    const due = this.#etaDue;
    this.#etaDue = null;
    return due;
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
  take(): StreamFeedChange[] {
    const changes = this.#queue;
    this.#queue = [];
    return changes;
  }

  /**
   * Resolves when changes are queued, the subscription ended, or `wake()` was called. No timer
   * per wait: with hundreds of streams, one per catch-up and stream cost more than the writes.
   */
  wait(): Promise<void> {
    if (this.#queue.length || this.#ended || this.#etaDue) return Promise.resolve();
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
  deliver(changes: readonly StreamFeedChange[]): void {
    if (this.#ended) return;
    for (const change of changes) {
      if (!passes(change, this.#filter)) continue;
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
  /** The open (unacknowledged) service requests as of the cursor, oldest first. */
  #requests = new Map<string, ServiceRequest>();
  /** The screen settings as of the cursor (read at start, then from the feed's changes). */
  #settings: ScreenSettings | null = null;
  #snapshot: Order[] | null = null;
  /** The most recent stream changes, in order; `#windowFloor` is the position just before them. */
  #window: StreamFeedChange[] = [];
  #windowFloor: FeedPosition | null = null;
  #subscribers = new Set<Subscription>();
  #watch: ReadableStream<Deno.KvEntryMaybe<unknown>[]> | null = null;
  #chain: Promise<void> = Promise.resolve();
  #queued: Promise<void> | null = null;
  #lastCatchUp = 0;
  #closed = false;
  #onFail: (hub: LocationHub) => void;
  /** The prep-time model of the location, fed every order change (lib/kitchen/estimates.ts). */
  #model = new KitchenModel();
  #catalog: Catalog | undefined;
  #lastCatalog: CatalogSnapshot | undefined;
  #estimates: {
    at: number;
    map: Map<string, number | null>;
    snapshot: CatalogSnapshot | undefined;
  } | null = null;
  #etaTimer: ReturnType<typeof setInterval> | undefined;
  /** The estimates new orders were answered with, by id. */
  #created = new Map<string, string | null>();

  /** @internal Use `Hubs.get`. */
  constructor(
    kv: Deno.Kv,
    locationId: string,
    options: HubOptions,
    deps: { onFail: (hub: LocationHub) => void; catalog?: Catalog },
  ) {
    this.#kv = kv;
    this.locationId = locationId;
    this.options = options;
    this.#onFail = deps.onFail;
    this.#catalog = deps.catalog;
  }

  /**
   * The estimate of every open order as of now (ms since the epoch, null when none), from the
   * location's model, its menu's prep minutes and its `maxOpenOrders`; computed at most every
   * 250 ms, and again after changes and on every new catalog snapshot (settings).
   */
  estimates(): Map<string, number | null> {
    return (this.#fresh(FRESH_MS) ?? this.#recompute()).map;
  }

  /**
   * The location's catalog snapshot for estimates: the current one, else (being reloaded after
   * a change) the last one seen, whose prep minutes still hold; a load is started.
   */
  #snapshotForEstimates(): CatalogSnapshot | undefined {
    const snapshot = this.#catalog?.peek(this.locationId);
    if (snapshot) this.#learnCatalog(snapshot);
    else this.#catalog?.get(this.locationId).catch(() => {});
    return this.#lastCatalog;
  }

  /**
   * Keeps `snapshot` as the last catalog seen unless one of a later version is held. (A write's
   * watch notification can drop the cache's snapshot a moment after a new order was priced and
   * committed from it; that order's answer must not fall back to an older one.)
   */
  #learnCatalog(snapshot: CatalogSnapshot): void {
    const last = this.#lastCatalog;
    if (!last || (snapshot.versionstamp ?? "") >= (last.versionstamp ?? "")) {
      this.#lastCatalog = snapshot;
    }
  }

  /**
   * Loads the location's catalog if it is not in memory (a read answered with estimates calls
   * this first, so a settings change just made counts).
   */
  async catalogLoaded(): Promise<void> {
    await this.#catalog?.get(this.locationId).catch(() => null);
  }

  /** The estimates computed within `maxAgeMs` for the current catalog snapshot, if any. */
  #fresh(maxAgeMs: number) {
    const cached = this.#estimates;
    const snapshot = this.#snapshotForEstimates();
    if (!cached || cached.snapshot !== snapshot || Date.now() - cached.at >= maxAgeMs) return null;
    return cached;
  }

  #context(now: number, snapshot: CatalogSnapshot | undefined) {
    return {
      now,
      prepMinutes: snapshot && ((id: string) => snapshot.items.get(id)?.prepMinutes),
      maxOpenOrders: snapshot?.settings.maxOpenOrders ?? 0,
    };
  }

  /** Every open order's estimate, computed now (one pass over the queue). */
  #recompute() {
    const now = Date.now();
    const snapshot = this.#snapshotForEstimates();
    const map = this.#model.estimates(this.#context(now, snapshot));
    return this.#estimates = { at: now, map, snapshot };
  }

  /**
   * The estimate of an order as an ISO time, or null when it is not open. An order newer than
   * the hub has taken in (committed, being answered) is taken into the model first, so the answer
   * to a move or a new order already counts it; the feed's copy of it changes nothing later. A
   * new order joins the end of the queue as the last pass left it (no pass over every order, on
   * the hot path), while that pass is recent.
   */
  estimateOf(order: Order): string | null {
    if (!isOpen(order.status)) return null;
    const changed = this.#model.observe(order);
    const cached = this.#fresh(changed ? TAIL_FRESH_MS : FRESH_MS);
    if (cached && !changed && cached.map.has(order.id)) return isoOrNull(cached.map.get(order.id));
    if (cached && changed && order.version === 1 && !cached.map.has(order.id)) {
      const estimate = this.#model.estimateAtTail(
        order.id,
        this.#context(Date.now(), cached.snapshot),
      );
      if (estimate !== null) {
        cached.map.set(order.id, estimate);
        return isoOrNull(estimate);
      }
    }
    return isoOrNull(this.#recompute().map.get(order.id));
  }

  /**
   * The estimate a new order's 201 carries: computed once and remembered (the newest 10,000),
   * so a retry with its `Idempotency-Key` gets the same body again in this process. `pricedFrom`:
   * the catalog it was priced and committed from (its settings hold for it).
   */
  estimateAtCreation(order: Order, pricedFrom?: CatalogSnapshot): string | null {
    const known = this.#created.get(order.id);
    if (known !== undefined) return known;
    if (pricedFrom) this.#learnCatalog(pricedFrom);
    const estimate = this.estimateOf(order);
    this.#created.set(order.id, estimate);
    if (this.#created.size > 10_000) this.#created.delete(this.#created.keys().next().value!);
    return estimate;
  }

  /** `estimateOf` for many orders (one computation). */
  estimatesOf(orders: readonly Order[]): (string | null)[] {
    let changed = false;
    for (const order of orders) {
      if (isOpen(order.status)) changed = this.#model.observe(order) || changed;
    }
    const estimates = changed ? this.#recompute().map : this.estimates();
    return orders.map((o) => isOpen(o.status) ? isoOrNull(estimates.get(o.id)) : null);
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
    for (const request of await listOpenServiceRequests(this.#kv, this.locationId)) {
      this.#requests.set(request.id, request);
    }
    // Read after the cursor: as of it or later, and the catch-up's settings changes follow.
    this.#settings = screenSettings(await getSettings(this.#kv, this.locationId));
    this.#windowFloor = this.#cursor;
    await this.#catchUp();
    for (const [id, order] of this.#open) if (!isOpen(order.status)) this.#open.delete(id);
    this.#snapshot = null;
    this.#model.reset(this.#open.values());
    this.#estimates = null;
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
    const sieve: Filter = {
      orderId: options.orderId,
      station: options.station,
      requests: options.requests,
    };
    const filter = (changes: readonly StreamFeedChange[]) =>
      changes.filter((c) => passes(c, sieve));

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
        const changes = filter(start < 0 ? [] : this.#window.slice(start));
        this.#stamp(changes);
        return this.#attach({ kind: "replay", changes }, null, sieve);
      }
      if (!cursor || compare(after, cursor) > 0) {
        // Ahead of this hub (another process served it): follow from there if the id is real.
        const subscription = this.#attach({ kind: "replay", changes: [] }, after, sieve);
        const entry = await readFeedEntry(this.#kv, this.locationId, after.versionstamp);
        if (entry && after.index < entry.changes.length) return subscription;
        subscription.close();
      } else {
        // Older than memory: join the fan-out now (live changes queue), then read what lies
        // between `after` and the cursor of that moment from the store.
        const subscription = this.#attach({ kind: "replay", changes: [] }, null, sieve);
        // One order's resume reads that order's own entries only, however old `after` is.
        const replayed = options.orderId === undefined
          ? await this.#readBetween(after, cursor)
          : await this.#readOrderBetween(options.orderId, after, cursor);
        if (replayed) {
          this.#stamp(replayed);
          subscription.setStart({ kind: "replay", changes: filter(replayed) });
          return subscription;
        }
        subscription.close(); // too old: its entry expired, so fall through to a snapshot
      }
    }
    const open = this.openOrders();
    const orders = options.station === undefined
      ? open
      : open.filter((order) => hasStation(order, options.station!));
    const start: SubscriptionStart = { kind: "snapshot", orders, cursor: this.cursor };
    if (options.requests && options.orderId === undefined) {
      start.requests = [...this.#requests.values()];
    }
    if (options.orderId === undefined && this.#settings) start.settings = this.#settings;
    return this.#attach(start, null, sieve);
  }

  /** Gives order changes taken in while nobody streamed their estimate (as of now). */
  #stamp(changes: readonly StreamFeedChange[]): void {
    let estimates: Map<string, number | null> | null = null;
    for (const change of changes) {
      if (change.type !== "order" || change.estimatedReadyAt !== undefined) continue;
      estimates ??= this.estimates();
      change.estimatedReadyAt = isOpen(change.order.status)
        ? isoOrNull(estimates.get(change.order.id))
        : null;
    }
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
    clearInterval(this.#etaTimer);
    for (const subscription of [...this.#subscribers]) subscription.end(reason);
  }

  /** @internal A subscription leaves the fan-out. */
  detach(subscription: Subscription): void {
    this.#subscribers.delete(subscription);
  }

  #attach(start: SubscriptionStart, after: FeedPosition | null, filter: Filter): Subscription {
    const subscription = new Subscription(this, start, { ...filter, after });
    this.#subscribers.add(subscription);
    if (filter.orderId !== undefined && this.#etaTimer === undefined && !this.#closed) {
      // Time passing moves estimates too (an order running late): guests hear of it.
      const timer = setInterval(() => this.#offerEstimates(), this.options.etaTickMs);
      Deno.unrefTimer(timer as unknown as number);
      this.#etaTimer = timer;
    }
    return subscription;
  }

  /** Offers each guest stream its order's current estimate (an `eta` when it moved). */
  #offerEstimates(): void {
    let guests = 0;
    let estimates: Map<string, number | null> | null = null;
    for (const subscription of this.#subscribers) {
      const orderId = subscription.orderId;
      if (orderId === undefined) continue;
      guests++;
      estimates ??= this.estimates();
      subscription.offerEstimate(estimates.get(orderId) ?? null);
    }
    if (!guests && this.#etaTimer !== undefined) {
      clearInterval(this.#etaTimer);
      this.#etaTimer = undefined;
    }
  }

  /** The changes in (after, until] from the store, or null when `after`'s entry has expired. */
  async #readBetween(
    after: FeedPosition,
    until: FeedPosition,
  ): Promise<StreamFeedChange[] | null> {
    const entry = await readFeedEntry(this.#kv, this.locationId, after.versionstamp);
    if (!entry || after.index >= entry.changes.length) return null;
    const changes: StreamFeedChange[] = [];
    const estimates = this.estimates();
    for await (const change of listChangesAfter(this.#kv, this.locationId, after)) {
      if (compare(change, until) > 0) break;
      change.id = withEpoch(change.id, this.#epoch);
      if (change.type === "order") {
        (change as OrderFeedChange).estimatedReadyAt = isOpen(change.order.status)
          ? isoOrNull(estimates.get(change.order.id))
          : null;
        changes.push(change);
      } else if (change.type === "service_request" || change.type === "settings") {
        changes.push(change);
      }
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
    const changes: StreamFeedChange[] = [];
    const orders: OrderFeedChange[] = [];
    for (const change of all) {
      if (change.type === "service_request") {
        // The open requests as of the cursor (a snapshot's), like the open orders.
        const { request } = change;
        const known = this.#requests.get(request.id);
        if (request.status !== "open") this.#requests.delete(request.id);
        else if (!known || known.version < request.version) this.#requests.set(request.id, request);
        changes.push(change);
        continue;
      }
      if (change.type === "settings") {
        this.#settings = screenSettings(change.settings);
        changes.push(change);
        continue;
      }
      if (change.type !== "order") continue;
      const { order } = change;
      const known = this.#open.get(order.id);
      if (!known || known.version < order.version) {
        if (!isOpen(order.status) && this.#watch) this.#open.delete(order.id);
        else this.#open.set(order.id, order);
      }
      this.#model.observe(order);
      changes.push(change);
      orders.push(change);
    }
    if (orders.length && this.#subscribers.size) {
      // Each change carries its order's estimate as of now (derived, never stored).
      const estimates = this.#recompute().map;
      for (const change of orders) {
        change.estimatedReadyAt = isOpen(change.order.status)
          ? isoOrNull(estimates.get(change.order.id))
          : null;
      }
    } else if (orders.some((change) => change.order.version > 1)) {
      // Nobody streams: the next read computes afresh (new orders alone only join the queue).
      this.#estimates = null;
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
    if (orders.length) this.#offerEstimates();
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    console.error(`hub ${this.locationId}: the change feed failed`, error);
    this.close("error");
    this.#onFail(this);
  }
}

/** An estimate as an ISO time, or null. */
function isoOrNull(estimate: number | null | undefined): string | null {
  return estimate == null ? null : new Date(estimate).toISOString();
}

/** The hubs of this process, one per location, started on first use. */
export class Hubs {
  #kv: Deno.Kv;
  #options: HubOptions;
  #catalog: Catalog | undefined;
  #hubs = new Map<string, Promise<LocationHub>>();
  #started = new Set<LocationHub>();
  #running = new Map<string, LocationHub>();
  #closed = false;

  /** `catalog`: where the estimates find each location's prep minutes and `maxOpenOrders`. */
  constructor(kv: Deno.Kv, options: Partial<HubOptions> = {}, deps: { catalog?: Catalog } = {}) {
    this.#kv = kv;
    this.#options = { ...DEFAULT_HUB_OPTIONS, ...options };
    this.#catalog = deps.catalog;
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
        if (this.#running.get(locationId) === created) this.#running.delete(locationId);
      };
      const created = new LocationHub(this.#kv, locationId, this.#options, {
        onFail: forget,
        catalog: this.#catalog,
      });
      hub = created.start().then(() => {
        if (this.#closed) created.close();
        else {
          this.#started.add(created);
          this.#running.set(locationId, created);
        }
        return created;
      });
      hub.catch(forget);
      this.#hubs.set(locationId, hub);
    }
    return hub;
  }

  /** The location's hub if it is running in this process (started and caught up), else none. */
  running(locationId: string): LocationHub | undefined {
    return this.#running.get(locationId);
  }

  /** Stops every hub, ending their subscriptions with "shutdown" (synchronously). */
  close(): void {
    this.#closed = true;
    for (const hub of this.#started) hub.close();
    this.#started.clear();
    this.#running.clear();
    this.#hubs.clear();
  }
}
