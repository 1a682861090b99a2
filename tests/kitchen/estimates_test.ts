/**
 * The estimate model in a simulated kitchen (kitchen_sim.ts): a steady phase, a rush at three
 * times the rate, then the grill backlogged (every order wants it: it runs over its capacity while
 * the other stations are calm). After a warm-up, at least 80% of the
 * orders of each phase are ready within ±30% of their first estimate, and the model beats "every
 * order takes the median prep time" on mean absolute error in the rush and the backlog.
 */
import assert from "node:assert/strict";
import { KitchenModel } from "../../lib/kitchen/estimates.ts";
import { phaseFigures, type SimPhase, type SimStation, simulate } from "./kitchen_sim.ts";
import type { Order } from "../../lib/schemas.ts";

const STATIONS: SimStation[] = [
  { name: "kitchen", cooks: 10, prepMean: 9, prepSd: 1.2, share: 0.85 },
  { name: "grill", cooks: 6, prepMean: 13, prepSd: 1.6, share: 0.4 },
  { name: "bar", cooks: 3, prepMean: 3, prepSd: 0.5, share: 0.6 },
];
const STEADY = 0.6; // orders a minute: the kitchen at about half its capacity
const PHASES: SimPhase[] = [
  { name: "warm-up", minutes: 40, perMinute: STEADY },
  { name: "steady", minutes: 90, perMinute: STEADY },
  { name: "rush", minutes: 30, perMinute: 3 * STEADY },
  // Not judged: the rush's queue drains, so its orders are judged by the rush alone.
  { name: "after rush", minutes: 40, perMinute: STEADY },
  // Every order wants the grill: it runs over its capacity and its queue grows; the rest is calm.
  { name: "backlog", minutes: 45, perMinute: STEADY, shares: { grill: 1, bar: 0.3 } },
];

Deno.test("[kitchen] estimates in a simulated kitchen", () => {
  // Three kitchens (seeds) through the same phases; each phase is judged on its orders of all
  // three, and each kitchen's figures are printed.
  const runs = [1, 2, 3].map((seed) => ({ seed, ...simulate(STATIONS, PHASES, seed) }));
  const line = (label: string, f: ReturnType<typeof phaseFigures>) =>
    `${label.padEnd(16)} orders ${String(f.orders).padStart(3)}  within ±30%: ` +
    `${(f.withinShare * 100).toFixed(0).padStart(3)}%  MAE model ${f.modelMaeMinutes.toFixed(1)} ` +
    `min, median baseline ${f.baselineMaeMinutes.toFixed(1)} min  (mean time to ready ` +
    `${f.meanActualMinutes.toFixed(1)} min)`;
  for (const phase of ["steady", "rush", "backlog"]) {
    for (const run of runs) {
      console.log(
        line(
          `seed ${run.seed} ${phase}`,
          phaseFigures(run.results.filter((r) => r.phase === phase)),
        ),
      );
    }
    const figures = phaseFigures(
      runs.flatMap((run) => run.results.filter((r) => r.phase === phase)),
    );
    console.log(line(`all ${phase}`, figures));
    assert.ok(figures.orders >= 90, `${phase}: ${figures.orders} orders`);
    assert.ok(
      figures.withinShare >= 0.8,
      `${phase}: only ${(figures.withinShare * 100).toFixed(0)}% within ±30%`,
    );
    if (phase !== "steady") {
      assert.ok(
        figures.modelMaeMinutes < figures.baselineMaeMinutes,
        `${phase}: model MAE ${figures.modelMaeMinutes} ≥ baseline ${figures.baselineMaeMinutes}`,
      );
    }
  }
});

Deno.test("[kitchen] KitchenModel without data", async (t) => {
  const at = "2026-11-25T12:00:00.000Z";
  const now = Date.parse(at);
  const order = (id: string, station: string, menuItemId = "x"): Order => ({
    id,
    locationId: "l",
    tableId: "t",
    tableNumber: 1,
    items: [{
      menuItemId,
      name: "x",
      quantity: 1,
      unitPriceCents: 100,
      lineTotalCents: 100,
      note: "",
      options: [],
      station,
      readyAt: null,
    }],
    note: "",
    totalCents: 100,
    currency: "EUR",
    status: "queued",
    version: 1,
    createdAt: at,
    updatedAt: at,
    history: [{ status: "pending", at, by: "guest" }, { status: "queued", at, by: "system" }],
  });

  await t.step("an item's prepMinutes, else 10 minutes", () => {
    const model = new KitchenModel();
    model.observe(order("a", "grill", "steak"));
    const prepMinutes = (id: string) => id === "steak" ? 14 : undefined;
    assert.equal(model.estimate("a", { now, prepMinutes }), now + 14 * 60_000);
    const other = new KitchenModel();
    other.observe(order("b", "bar"));
    assert.equal(other.estimate("b", { now }), now + 10 * 60_000);
  });

  await t.step("work queued ahead pushes an order out; maxOpenOrders more", () => {
    const model = new KitchenModel();
    // Without data a station works on 3 lines at once: the 4th and 5th wait for a hand.
    for (const id of ["a", "b", "c", "d", "e"]) model.observe(order(id, "kitchen"));
    const first = model.estimate("a", { now })!;
    assert.equal(first, now + 10 * 60_000);
    assert.equal(model.estimate("c", { now }), first);
    assert.equal(model.estimate("d", { now }), first + 10 * 60_000 / 3);
    assert.equal(model.estimate("e", { now }), first + 2 * 10 * 60_000 / 3);
    // Pacing at 2 open orders: the 3rd starts when the first of those ahead is ready.
    assert.equal(model.estimate("c", { now, maxOpenOrders: 2 }), first + 10 * 60_000);
  });

  await t.step("a pending order is estimated as if accepted when placed; ended ones drop", () => {
    const model = new KitchenModel();
    const pending: Order = {
      ...order("p", "kitchen"),
      status: "pending",
      history: [{ status: "pending", at, by: "guest" }],
    };
    model.observe(pending);
    assert.equal(model.estimate("p", { now: now + 60_000 }), now + 10 * 60_000);
    // Still waiting after 10 minutes: never before now.
    assert.equal(model.estimate("p", { now: now + 20 * 60_000 }), now + 20 * 60_000 + 30_000);
    model.observe({ ...pending, status: "cancelled", version: 2 });
    assert.equal(model.estimate("p", { now }), null);
    assert.equal(model.size, 0);
  });
});
