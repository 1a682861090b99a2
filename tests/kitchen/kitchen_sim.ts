/**
 * A simulated kitchen driven by a test: orders arrive (a Poisson process per phase), each line's
 * prep time is drawn from its station's known distribution, cooks take lines first come first
 * served, and every line done is marked ready through the pure lifecycle (`changeLine`), exactly
 * the order changes the hub would see. The estimate model is fed each change and asked for each
 * new order's estimate when it arrives. Not a test file.
 */
import { changeLine } from "../../lib/orders/lifecycle.ts";
import { KitchenModel, median } from "../../lib/kitchen/estimates.ts";
import type { Order, OrderLine } from "../../lib/schemas.ts";

/** A station of the simulated kitchen. */
export interface SimStation {
  name: string;
  cooks: number;
  /** Mean and standard deviation of a line's prep time, in minutes (normal, at least 20% of the mean). */
  prepMean: number;
  prepSd: number;
  /** The chance an order has a line for this station. */
  share: number;
}

/** A phase: orders per minute arriving, for `minutes`, with what changes meanwhile. */
export interface SimPhase {
  name: string;
  minutes: number;
  perMinute: number;
  /** Cooks per station during the phase (the rest keep theirs). */
  cooks?: Record<string, number>;
  /** The chance an order has a line for a station, during the phase (the rest keep theirs). */
  shares?: Record<string, number>;
}

/** One order's outcome. */
export interface SimResult {
  phase: string;
  placedAt: number;
  readyAt: number;
  estimate: number;
  baseline: number;
  /** The stations of its lines. */
  stations: string;
}

const MINUTE = 60_000;

/** A small seeded PRNG (mulberry32), so every run draws the same kitchen. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

interface Job {
  orderId: string;
  index: number;
  prepMs: number;
}

/** Runs the kitchen through the phases; returns each order's outcome and the model. */
export function simulate(
  stations: SimStation[],
  phases: SimPhase[],
  seed = 1,
): { results: SimResult[]; model: KitchenModel } {
  const random = prng(seed);
  const model = new KitchenModel();
  const orders = new Map<string, Order>();
  const queues = new Map<string, Job[]>(stations.map((s) => [s.name, []]));
  const busy = new Map<string, number>(stations.map((s) => [s.name, 0]));
  const cooks = new Map<string, number>(stations.map((s) => [s.name, s.cooks]));
  /** Pending completions: [time, station, job]. */
  const running: { at: number; station: string; job: Job }[] = [];
  const results = new Map<string, SimResult>();
  const finishedDurations: number[] = [];
  const start = Date.UTC(2026, 10, 25, 11, 0, 0);
  let now = start;
  let seq = 0;

  const dispatch = () => {
    for (const station of stations) {
      const queue = queues.get(station.name)!;
      while (queue.length && busy.get(station.name)! < cooks.get(station.name)!) {
        const job = queue.shift()!;
        busy.set(station.name, busy.get(station.name)! + 1);
        running.push({ at: now + job.prepMs, station: station.name, job });
      }
    }
    running.sort((a, b) => a.at - b.at);
  };

  /** Runs every completion due by `until`. */
  const runUntil = (until: number) => {
    while (running.length && running[0].at <= until) {
      const { at, station, job } = running.shift()!;
      now = at;
      busy.set(station, busy.get(station)! - 1);
      const order = orders.get(job.orderId)!;
      const verdict = changeLine(order, {
        index: job.index,
        ready: true,
        by: "kitchen:sim",
        now: new Date(now),
      });
      if (verdict.kind !== "changed") throw new Error(`line not changed: ${verdict.kind}`);
      orders.set(order.id, verdict.order);
      model.observe(verdict.order);
      if (verdict.order.status === "ready") {
        const result = results.get(order.id)!;
        result.readyAt = now;
        finishedDurations.push(now - result.placedAt);
        // Delivered straight away: it leaves the kitchen.
        model.observe({ ...verdict.order, status: "closed", version: verdict.order.version + 1 });
      }
      dispatch();
    }
  };

  let phaseStart = start;
  for (const phase of phases) {
    for (const [name, n] of Object.entries(phase.cooks ?? {})) cooks.set(name, n);
    dispatch();
    const phaseEnd = phaseStart + phase.minutes * MINUTE;
    let next = phaseStart + (-Math.log(Math.max(random(), 1e-12)) / phase.perMinute) * MINUTE;
    while (next < phaseEnd) {
      runUntil(next);
      now = next;
      const lines: OrderLine[] = [];
      for (const station of stations) {
        const share = phase.shares?.[station.name] ?? station.share;
        if (random() < share) lines.push(simLine(station.name));
      }
      if (!lines.length) lines.push(simLine(stations[0].name));
      const at = new Date(now).toISOString();
      const id = `sim${String(seq++).padStart(8, "0")}`;
      const order: Order = {
        id,
        locationId: "sim",
        tableId: "t",
        tableNumber: 1,
        items: lines,
        note: "",
        totalCents: 0,
        currency: "EUR",
        status: "queued",
        version: 1,
        createdAt: at,
        updatedAt: at,
        history: [{ status: "pending", at, by: "guest" }, { status: "queued", at, by: "system" }],
      };
      orders.set(id, order);
      model.observe(order);
      const estimate = model.estimate(id, { now })!;
      const recent = finishedDurations.slice(-100);
      results.set(id, {
        phase: phase.name,
        placedAt: now,
        readyAt: NaN,
        estimate,
        baseline: now + (median(recent) ?? 10 * MINUTE),
        stations: lines.map((l) => l.station).join("+"),
      });
      lines.forEach((line, index) => {
        const station = stations.find((s) => s.name === line.station)!;
        const prepMs = Math.max(
          station.prepMean * 0.2,
          station.prepMean + station.prepSd * normal(random),
        ) * MINUTE;
        queues.get(line.station)!.push({ orderId: id, index, prepMs });
      });
      dispatch();
      next += (-Math.log(Math.max(random(), 1e-12)) / phase.perMinute) * MINUTE;
    }
    phaseStart = phaseEnd;
  }
  runUntil(Infinity);
  return { results: [...results.values()], model };
}

function simLine(station: string): OrderLine {
  return {
    menuItemId: `item-${station}`,
    name: station,
    quantity: 1,
    unitPriceCents: 0,
    lineTotalCents: 0,
    note: "",
    options: [],
    station,
    readyAt: null,
  };
}

/** The figures of one phase: share within ±30% of the estimate, and mean absolute errors. */
export function phaseFigures(results: SimResult[]) {
  const within = results.filter((r) => {
    const predicted = r.estimate - r.placedAt;
    return Math.abs(r.readyAt - r.estimate) <= 0.3 * predicted;
  }).length;
  const mae = (pick: (r: SimResult) => number) =>
    results.reduce((sum, r) => sum + Math.abs(r.readyAt - pick(r)), 0) / results.length / MINUTE;
  return {
    orders: results.length,
    withinShare: within / results.length,
    modelMaeMinutes: mae((r) => r.estimate),
    baselineMaeMinutes: mae((r) => r.baseline),
    meanActualMinutes: results.reduce((s, r) => s + r.readyAt - r.placedAt, 0) / results.length /
      MINUTE,
  };
}
