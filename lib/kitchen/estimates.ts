/**
 * Prep-time estimates: when each open order of a location should be ready. Pure (the clock and
 * the menu's prep minutes are passed in), so a test can drive it exactly as the hub does.
 *
 * The model, per station: it works on `parallel` lines at once, each taking `base` from queued
 * to ready when nothing waits ahead of it; a line queued with `A` lines of its station still not
 * ready ahead of it waits for `A - parallel + 1` of them to finish, one every `base / parallel`:
 * `time = base + max(0, A - parallel + 1) × base / parallel`. Both figures are fitted to the
 * station's lines of the last hours (each line's measured queued→ready time and the lines ahead
 * of it when it was queued). A station without data takes the item's
 * `prepMinutes` (else 10) and 3 at once. An order's estimate is its slowest line's; a pending
 * order is estimated as if accepted when placed (and later, once that has passed), behind the
 * queued ones and delaying none; an order whose lines still wait behind more than the
 * station can work moves out with them. With `maxOpenOrders`, an order beyond that many ahead of
 * it waits for enough of them to be ready first.
 */
import type { Order } from "../schemas.ts";

/** Tuning of the model. */
export interface EstimateOptions {
  /** How far back measured lines count. */
  windowMs: number;
  /** Most measured lines kept per station (the newest). */
  maxSamples: number;
  /** A station's `base` when it has no data and the item no `prepMinutes`. */
  defaultPrepMs: number;
  /** Fewest measured lines before a station's own figures are used. */
  minSamples: number;
  /** How many lines a station without data is taken to work on at once. */
  defaultParallel: number;
}

export const DEFAULT_ESTIMATE_OPTIONS: EstimateOptions = {
  windowMs: 3 * 60 * 60_000,
  maxSamples: 300,
  defaultPrepMs: 10 * 60_000,
  minSamples: 8,
  defaultParallel: 3,
};

/** What the estimates of a location depend on besides its orders. */
export interface EstimateContext {
  now: number;
  /** The menu item's `prepMinutes`, if it has one. */
  prepMinutes?: (menuItemId: string) => number | undefined;
  /** The location's `maxOpenOrders` (0 = off). */
  maxOpenOrders?: number;
}

/** One measured line: queued→ready time, and the lines of its station ahead of it when queued. */
interface Sample {
  readyAt: number;
  durationMs: number;
  ahead: number;
}

/** A station's fitted figures. */
export interface StationFit {
  /** A line's prep time when nothing waits ahead of it. */
  baseMs: number;
  /** How many lines the station works on at once (may be fractional under a backlog). */
  parallel: number;
  samples: number;
}

/** What the tracker remembers of an open order. */
interface Tracked {
  order: Order;
  /** When it was queued (ms), or null while pending. */
  queuedAt: number | null;
  /** Lines of each station ahead of it when it was first seen queued. */
  aheadAtQueue: Map<string, number> | null;
}

/**
 * A location's kitchen as the estimates see it: its open orders (fed every change in commit
 * order), the lines measured as they become ready, and the fitted model.
 */
export class KitchenModel {
  readonly options: EstimateOptions;
  #open = new Map<string, Tracked>();
  /** Lines not ready of the queued and preparing orders, per station (kept as orders change). */
  #waiting = new Map<string, number>();
  /** The queue's end as the last `estimates` pass left it (for orders joining it). */
  #tail: Tail | null = null;
  /** Orders that ended (id → version), the newest 10,000. */
  #ended = new Map<string, number>();
  #samples = new Map<string, Sample[]>();
  #fits = new Map<string, StationFit & { key: string }>();
  /** Lines measured per station since the start (a fit is recomputed when it moves). */
  #added = new Map<string, number>();
  constructor(options: Partial<EstimateOptions> = {}) {
    this.options = { ...DEFAULT_ESTIMATE_OPTIONS, ...options };
  }

  /** The open orders tracked. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Takes in an order as it is after a change (any version; older ones than known are ignored).
   * Lines that became ready are measured; an order that ended is forgotten. Returns whether
   * the model changed.
   */
  observe(order: Order): boolean {
    const known = this.#open.get(order.id);
    if (known && known.order.version >= order.version) return false;
    if ((this.#ended.get(order.id) ?? 0) >= order.version) return false;
    if (order.status === "closed" || order.status === "cancelled") {
      // Remembered a while, so a stale read of it can never bring it back.
      this.#ended.set(order.id, order.version);
      if (this.#ended.size > 10_000) this.#ended.delete(this.#ended.keys().next().value!);
      this.#count(known, -1);
      return this.#open.delete(order.id);
    }
    const queuedAt = queuedTime(order);
    let aheadAtQueue = known?.aheadAtQueue ?? null;
    if (queuedAt !== null && !aheadAtQueue) {
      // First seen queued: what waits now is what it waits behind (it is the newest queued).
      aheadAtQueue = new Map(this.#waiting);
      if (known) {
        for (const line of known.order.items) {
          const n = aheadAtQueue.get(line.station);
          if (!line.readyAt && n && known.queuedAt !== null) aheadAtQueue.set(line.station, n - 1);
        }
      }
    }
    if (queuedAt !== null && aheadAtQueue) {
      order.items.forEach((line, i) => {
        const before = known?.order.items[i]?.readyAt;
        if (!line.readyAt || before) return;
        const readyAt = Date.parse(line.readyAt);
        this.#addSample(line.station, {
          readyAt,
          durationMs: Math.max(0, readyAt - queuedAt),
          ahead: aheadAtQueue!.get(line.station) ?? 0,
        });
      });
    }
    this.#count(known, -1);
    const tracked = { order, queuedAt, aheadAtQueue };
    this.#count(tracked, 1);
    this.#open.set(order.id, tracked);
    return true;
  }

  /** Forgets every open order (a fresh start from a snapshot); measured lines stay. */
  reset(orders: Iterable<Order>): void {
    this.#open.clear();
    this.#waiting.clear();
    this.#tail = null;
    // In the order they were queued, so each waits behind those queued before it.
    const sorted = [...orders].sort((a, b) =>
      (queuedTime(a) ?? Infinity) - (queuedTime(b) ?? Infinity) || (a.id < b.id ? -1 : 1)
    );
    for (const order of sorted) this.observe(order);
  }

  /**
   * The station's fitted figures as of `now` (`fallbackMs` as its prep time without data): its
   * prep time `baseMs` and how many lines it works at once, `parallel`, fitted to its lines of
   * the last hours.
   */
  fit(station: string, now: number, fallbackMs: number): StationFit {
    const samples = this.#recent(station, now);
    const o = this.options;
    let fit: StationFit;
    if (samples.length < o.minSamples) {
      fit = { baseMs: fallbackMs, parallel: o.defaultParallel, samples: samples.length };
    } else {
      const key = `${this.#added.get(station) ?? 0}-${samples.length}`;
      const cached = this.#fits.get(station);
      fit = cached && cached.key === key ? cached : this.#fitSamples(station, samples, key);
    }
    return fit;
  }

  /**
   * Fits `baseMs` and `parallel`: for each whole `parallel` from 1 to 16, `baseMs` is the median
   * time of the lines that had fewer than that many ahead (no wait), and the error (absolute,
   * so a few slow lines weigh little) that of
   * `time = base + max(0, ahead - parallel + 1) × base / parallel`, counted only where at least
   * three lines met that limit or none did; the smallest `parallel` of the least error is kept,
   * and among equal fits not fewer than `defaultParallel`.
   */
  #fitSamples(station: string, samples: readonly Sample[], key: string): StationFit {
    const candidates: { parallel: number; baseMs: number; error: number }[] = [];
    for (let parallel = 1; parallel <= 16; parallel++) {
      const quick = samples.filter((s) => s.ahead < parallel).map((s) => s.durationMs);
      // A limit of hands is believed on the evidence of a few lines that met it, not of one.
      const affected = samples.length - quick.length;
      if (quick.length < 3 || (affected > 0 && affected < 3)) continue;
      const baseMs = median(quick)!;
      let error = 0;
      for (const s of samples) {
        const predicted = baseMs + Math.max(0, s.ahead - parallel + 1) * baseMs / parallel;
        error += Math.abs(s.durationMs - predicted);
      }
      candidates.push({ parallel, baseMs, error });
    }
    const least = Math.min(...candidates.map((c) => c.error));
    // Among equally good fits (the data never saw it run out of hands beyond some number), not
    // fewer than `defaultParallel`.
    const tied = candidates.filter((c) => c.error <= least * (1 + 1e-9));
    const chosen = tied.find((c) => c.parallel >= this.options.defaultParallel) ?? tied[0] ??
      { parallel: this.options.defaultParallel, baseMs: median(samples.map((s) => s.durationMs))! };
    const fitted = {
      baseMs: chosen.baseMs,
      parallel: chosen.parallel,
      samples: samples.length,
      key,
    };
    this.#fits.set(station, fitted);
    return fitted;
  }

  /** The estimate of every open order (ms since the epoch), or null for one not open. */
  estimates(context: EstimateContext): Map<string, number | null> {
    const queue = [...this.#open.values()].sort(queueOrder);
    const tail: Tail = { ahead: new Map(), active: [] };
    const out = new Map<string, number | null>();
    for (const tracked of queue) {
      out.set(tracked.order.id, this.#estimateOne(tracked, tail, context));
    }
    this.#tail = tail;
    return out;
  }

  /**
   * The estimate of an open order that joins the end of the queue (a new order), from the queue
   * as the last `estimates` pass left it, which it then joins: no pass over every open order.
   * Null without a pass yet, or for an order not tracked.
   */
  estimateAtTail(orderId: string, context: EstimateContext): number | null {
    const tracked = this.#open.get(orderId);
    if (!this.#tail || !tracked) return null;
    return this.#estimateOne(tracked, this.#tail, context);
  }

  /** One order's estimate behind what `tail` holds ahead of it; it joins the tail. */
  #estimateOne(tracked: Tracked, tail: Tail, context: EstimateContext): number {
    const { now } = context;
    const { order, queuedAt, aheadAtQueue } = tracked;
    if (order.status === "ready" || order.status === "delivered") return readyTime(order) ?? now;
    const fallback = (station: string) =>
      stationPrepMs(order, station, context.prepMinutes) ?? this.options.defaultPrepMs;
    // A pending order counts from when it was placed, so its estimate stands still while it
    // waits to be accepted (until it runs late).
    const start = queuedAt ?? Date.parse(order.createdAt);
    let estimate = start;
    const stations = new Set<string>();
    for (const line of order.items) if (!line.readyAt) stations.add(line.station);
    let own = 0;
    for (const station of stations) {
      const waitingNow = tail.ahead.get(station) ?? 0;
      const fit = this.fit(station, now, fallback(station));
      own = Math.max(own, fit.baseMs);
      const atQueue = aheadAtQueue?.get(station) ?? waitingNow;
      let line = start + lineTime(fit, atQueue);
      // Behind plan: what is still ahead of it moves it out.
      if (waitingNow >= fit.parallel) line = Math.max(line, now + lineTime(fit, waitingNow));
      line = Math.max(line, now + 30_000);
      estimate = Math.max(estimate, line);
    }
    const limit = context.maxOpenOrders ?? 0;
    if (limit > 0 && tail.active.length >= limit) {
      // Pacing: at most `limit` at once, so it starts when enough of those ahead are ready.
      estimate = Math.max(estimate, tail.active[tail.active.length - limit] + own);
    }
    estimate = Math.round(estimate / 1000) * 1000; // to the second: reads agree
    // A pending order is not in the kitchen's hands yet: nothing waits behind it (so an order
    // joining the queue's end is estimated as in a whole pass, where the queued come first).
    if (queuedAt === null) return estimate;
    insertSorted(tail.active, estimate);
    for (const line of order.items) {
      if (!line.readyAt) tail.ahead.set(line.station, (tail.ahead.get(line.station) ?? 0) + 1);
    }
    return estimate;
  }

  /** The estimate of one open order, or null. */
  estimate(orderId: string, context: EstimateContext): number | null {
    return this.estimates(context).get(orderId) ?? null;
  }

  /** Adds (`sign` 1) or removes (-1) an order's not-ready lines from the waiting counts. */
  #count(tracked: Tracked | undefined, sign: 1 | -1): void {
    if (!tracked || tracked.queuedAt === null || !isActive(tracked.order)) return;
    for (const line of tracked.order.items) {
      if (line.readyAt) continue;
      this.#waiting.set(line.station, (this.#waiting.get(line.station) ?? 0) + sign);
    }
  }

  #addSample(station: string, sample: Sample): void {
    this.#added.set(station, (this.#added.get(station) ?? 0) + 1);
    let list = this.#samples.get(station);
    if (!list) this.#samples.set(station, list = []);
    list.push(sample);
    if (list.length > this.options.maxSamples) {
      list.splice(0, list.length - this.options.maxSamples);
    }
  }

  #recent(station: string, now: number): Sample[] {
    const list = this.#samples.get(station);
    if (!list) return [];
    const floor = now - this.options.windowMs;
    let drop = 0;
    while (drop < list.length && list[drop].readyAt < floor) drop++;
    if (drop) list.splice(0, drop);
    return list;
  }
}

/** What is ahead of the next order to join the queue: its lines per station, and the estimates
 * of the orders ahead (sorted, for pacing). */
interface Tail {
  ahead: Map<string, number>;
  active: number[];
}

/** Inserts `value` into the sorted `list`. */
function insertSorted(list: number[], value: number): void {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (list[mid] <= value) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, value);
}

/** Whether an order is in the kitchen's hands (queued or preparing). */
function isActive(order: Order): boolean {
  return order.status === "queued" || order.status === "preparing";
}

/** A line's queued→ready time with `ahead` lines of its station ahead of it. */
function lineTime(fit: StationFit, ahead: number): number {
  return fit.baseMs + Math.max(0, ahead - fit.parallel + 1) * fit.baseMs / fit.parallel;
}

/** When an order was queued (its last `queued` entry), or null while pending. */
export function queuedTime(order: Order): number | null {
  if (order.status === "pending") return null;
  for (let i = order.history.length - 1; i >= 0; i--) {
    if (order.history[i].status === "queued") return Date.parse(order.history[i].at);
  }
  return Date.parse(order.createdAt);
}

/** When an order became ready (its last `ready` entry), or null. */
function readyTime(order: Order): number | null {
  for (let i = order.history.length - 1; i >= 0; i--) {
    if (order.history[i].status === "ready") return Date.parse(order.history[i].at);
  }
  return null;
}

/** Queued orders by queue time, then pending ones by creation (ids are time-ordered). */
function queueOrder(a: Tracked, b: Tracked): number {
  if (a.queuedAt !== null && b.queuedAt !== null && a.queuedAt !== b.queuedAt) {
    return a.queuedAt - b.queuedAt;
  }
  if (a.queuedAt === null && b.queuedAt !== null) return 1;
  if (b.queuedAt === null && a.queuedAt !== null) return -1;
  return a.order.id < b.order.id ? -1 : a.order.id > b.order.id ? 1 : 0;
}

/** The slowest `prepMinutes` of the order's lines at a station, in ms, if any has one. */
function stationPrepMs(
  order: Order,
  station: string,
  prepMinutes: EstimateContext["prepMinutes"],
): number | undefined {
  if (!prepMinutes) return undefined;
  let most: number | undefined;
  for (const line of order.items) {
    if (line.station !== station) continue;
    const minutes = prepMinutes(line.menuItemId);
    if (minutes !== undefined && (most === undefined || minutes > most)) most = minutes;
  }
  return most === undefined ? undefined : most * 60_000;
}

/** The median of some numbers, or null for none. */
export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
