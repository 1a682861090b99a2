/**
 * The analytics views and what serves them (`GET /api/analytics/summary`, `deno task report`,
 * health's mirror state), on a fixed fixture with known figures, against a real Postgres.
 */
import assert from "node:assert/strict";
import { newId } from "../../lib/kv/ids.ts";
import { analyticsSummary } from "../../lib/mirror/analytics.ts";
import { formatReport } from "../../lib/mirror/report.ts";
import type { MirrorRunner } from "../../lib/mirror/runner.ts";
import { commitOrderChanges } from "../../lib/orders/store.ts";
import type { Order } from "../../lib/schemas.ts";
import {
  deviceToken,
  menuItems,
  newTestServices,
  OWNER_TOKEN,
  tablesOf,
  type TestServices,
} from "../fixtures.ts";
import { startPostgres } from "./postgres_fixture.ts";
import { mirroredServices } from "./mirror_fixture.ts";

interface LineSpec {
  item: string;
  quantity: number;
  options?: {
    groupId: string;
    group: string;
    optionId: string;
    name: string;
    priceDeltaCents: number;
  }[];
  station?: string;
  readyAt?: string;
}

const OAT = { groupId: "milk", group: "Milk", optionId: "oat", name: "Oat", priceDeltaCents: 50 };

/** Commits a finished order as it would be after its history, in one go. */
async function fixtureOrder(
  s: TestServices,
  spec: { table: number; lines: LineSpec[]; history: [string, string][] },
): Promise<Order> {
  const items = await menuItems(s);
  const table = (await tablesOf(s)).find((t) => t.number === spec.table)!;
  const lines = spec.lines.map((l) => {
    const item = items.find((i) => i.name === l.item)!;
    const unit = item.priceCents + (l.options ?? []).reduce((n, o) => n + o.priceDeltaCents, 0);
    return {
      menuItemId: item.id,
      name: item.name,
      quantity: l.quantity,
      unitPriceCents: unit,
      lineTotalCents: unit * l.quantity,
      note: "",
      options: l.options ?? [],
      station: l.station ?? "kitchen",
      readyAt: l.readyAt ?? null,
    };
  });
  const history = spec.history.map(([status, at]) => ({ status, at, by: "test" }));
  const order = {
    id: newId(),
    locationId: s.location.id,
    tableId: table.id,
    tableNumber: table.number,
    items: lines,
    note: "",
    totalCents: lines.reduce((n, l) => n + l.lineTotalCents, 0),
    currency: "EUR",
    status: history.at(-1)!.status,
    version: history.length,
    createdAt: history[0].at,
    updatedAt: history.at(-1)!.at,
    history,
  } as Order;
  const ok = await commitOrderChanges(s.kv, [{ order, previous: null }], {
    now: new Date(order.updatedAt),
    retentionMs: s.config.eventRetentionMs,
  });
  assert.ok(ok);
  return order;
}

const day2 = (hm: string) => `2026-11-02T${hm}Z`;
const day3 = (hm: string) => `2026-11-03T${hm}Z`;

async function seedFixture(s: TestServices) {
  const a = await fixtureOrder(s, {
    table: 1,
    lines: [
      { item: "Burrata", quantity: 2, readyAt: day2("10:30:00.000") },
      {
        item: "Espresso",
        quantity: 1,
        options: [OAT],
        station: "bar",
        readyAt: day2("10:18:00.000"),
      },
    ],
    history: [
      ["pending", day2("10:15:00.000")],
      ["queued", day2("10:16:00.000")],
      ["preparing", day2("10:20:00.000")],
      ["ready", day2("10:30:00.000")],
      ["delivered", day2("10:32:00.000")],
      ["closed", day2("11:00:00.000")],
    ],
  });
  const b = await fixtureOrder(s, {
    table: 2,
    lines: [{ item: "Margherita pizza", quantity: 1 }],
    history: [
      ["pending", day2("10:40:00.000")],
      ["queued", day2("10:42:00.000")],
      ["preparing", day2("10:45:00.000")],
      ["ready", day2("10:52:00.000")],
      ["delivered", day2("10:55:00.000")],
    ],
  });
  await fixtureOrder(s, {
    table: 1,
    lines: [{ item: "Tiramisu", quantity: 3 }],
    history: [["pending", day2("12:05:00.000")], ["cancelled", day2("12:06:00.000")]],
  });
  const d = await fixtureOrder(s, {
    table: 2,
    lines: [{ item: "Espresso", quantity: 2, options: [OAT], station: "bar" }],
    history: [
      ["pending", day3("09:00:00.000")],
      ["queued", day3("09:03:00.000")],
      ["preparing", day3("09:04:00.000")],
      ["ready", day3("09:05:00.000")],
      ["delivered", day3("09:06:00.000")],
    ],
  });
  await fixtureOrder(s, {
    table: 3,
    lines: [{ item: "Burrata", quantity: 1 }],
    history: [
      ["pending", day3("09:30:00.000")],
      ["queued", day3("09:31:00.000")],
      ["cancelled", day3("09:35:00.000")],
    ],
  });
  // Outside the range.
  await fixtureOrder(s, {
    table: 4,
    lines: [{ item: "Espresso", quantity: 3 }],
    history: [
      ["pending", "2026-10-31T23:59:59.000Z"],
      ["queued", "2026-11-01T00:00:30.000Z"],
    ],
  });
  return { a, b, d };
}

const FROM = "2026-11-01T00:00:00.000Z";
const TO = "2026-11-04T00:00:00.000Z";

Deno.test("[analytics] views, summary, report and health on a fixed fixture", async (t) => {
  const pg = await startPostgres();
  const m = await mirroredServices(pg);
  try {
    const s = m.s;
    const { a, b, d } = await seedFixture(s);
    await (s.services.mirror as MirrorRunner).sync(s.location.id);
    // Visits arrive with the table-visit milestone; until then they are written here.
    await m.db.sql`
      INSERT INTO table_visits (id, location_id, table_id, status, opened_at, closed_at,
                                total_cents, currency, order_ids)
      VALUES ('v1', ${s.location.id}, ${a.tableId}, 'closed', ${day2("10:15:00")}, ${
      day2("11:15:00")
    },
              2650, 'EUR', ${JSON.stringify([a.id])}::jsonb),
             ('v2', ${s.location.id}, ${b.tableId}, 'closed', ${day2("10:40:00")}, ${
      day2("11:10:00")
    },
              1250, 'EUR', ${JSON.stringify([b.id])}::jsonb),
             ('v3', ${s.location.id}, ${d.tableId}, 'closed', ${day3("09:00:00")}, ${
      day3("09:45:00")
    },
              700, 'EUR', ${JSON.stringify([d.id])}::jsonb)`;
    const items = await menuItems(s);
    const id = (name: string) => items.find((i) => i.name === name)!.id;
    const expected = {
      from: FROM,
      to: TO,
      currency: "EUR",
      totals: { orders: 3, revenueCents: 4600, averageOrderCents: 1533 },
      revenueByDay: [
        { day: "2026-11-02", orders: 2, revenueCents: 3900 },
        { day: "2026-11-03", orders: 1, revenueCents: 700 },
      ],
      revenueByHour: [
        { hour: "2026-11-02T10:00:00.000Z", orders: 2, revenueCents: 3900 },
        { hour: "2026-11-03T09:00:00.000Z", orders: 1, revenueCents: 700 },
      ],
      items: [
        {
          menuItemId: id("Espresso"),
          name: "Espresso",
          quantity: 3,
          revenueCents: 1050,
          orders: 2,
        },
        { menuItemId: id("Burrata"), name: "Burrata", quantity: 2, revenueCents: 2300, orders: 1 },
        {
          menuItemId: id("Margherita pizza"),
          name: "Margherita pizza",
          quantity: 1,
          revenueCents: 1250,
          orders: 1,
        },
      ],
      options: [{
        groupId: "milk",
        group: "Milk",
        optionId: "oat",
        name: "Oat",
        quantity: 3,
        revenueCents: 150,
      }],
      stageTimes: {
        pendingToQueued: { count: 4, p50Seconds: 90, p90Seconds: 162 },
        queuedToReady: { count: 3, p50Seconds: 600, p90Seconds: 792 },
        readyToDelivered: { count: 3, p50Seconds: 120, p90Seconds: 168 },
      },
      stations: [
        { station: "bar", count: 2, p50Seconds: 120, p90Seconds: 120 },
        { station: "kitchen", count: 2, p50Seconds: 720, p90Seconds: 816 },
      ],
      tables: [
        { tableId: a.tableId, tableNumber: 1, orders: 1, revenueCents: 2650 },
        { tableId: b.tableId, tableNumber: 2, orders: 2, revenueCents: 1950 },
      ],
      turnover: [
        {
          tableId: a.tableId,
          tableNumber: 1,
          visits: 1,
          visitsPerDay: 0.33,
          averageVisitMinutes: 60,
          spendPerVisitCents: 2650,
        },
        {
          tableId: b.tableId,
          tableNumber: 2,
          visits: 2,
          visitsPerDay: 0.67,
          averageVisitMinutes: 37.5,
          spendPerVisitCents: 975,
        },
      ],
      cancellations: {
        orders: 5,
        cancelled: 2,
        cancelledCents: 3400,
        rate: 0.4,
        fromPending: 1,
        fromQueued: 1,
      },
    };

    await t.step("the summary holds the known figures", async () => {
      const range = { from: new Date(FROM), to: new Date(TO) };
      assert.deepEqual(await analyticsSummary(m.db.sql, s.location.id, range), expected);
    });

    await t.step("a range within hours counts from the rows", async () => {
      const summary = await analyticsSummary(m.db.sql, s.location.id, {
        from: new Date(day2("10:30:00")),
        to: new Date(day2("23:00:00")),
      });
      assert.deepEqual(summary.revenueByHour, [
        { hour: "2026-11-02T10:00:00.000Z", orders: 1, revenueCents: 1250 },
      ]);
      assert.deepEqual(summary.totals, { orders: 1, revenueCents: 1250, averageOrderCents: 1250 });
      assert.deepEqual(summary.cancellations, {
        orders: 2,
        cancelled: 1,
        cancelledCents: 2250,
        rate: 0.5,
        fromPending: 1,
        fromQueued: 0,
      });
    });

    await t.step("the per-day views", async () => {
      const loc = s.location.id;
      const revenue = await m.db.sql`
        SELECT day::text, orders::int, revenue_cents::int FROM revenue_by_day
        WHERE location_id = ${loc} ORDER BY day`;
      assert.deepEqual(revenue.map((r) => [r.day, r.orders, r.revenue_cents]), [
        ["2026-10-31", 1, 900],
        ["2026-11-02", 2, 3900],
        ["2026-11-03", 1, 700],
      ]);
      const stages = await m.db.sql`
        SELECT stage, orders::int, p50_s, p90_s FROM stage_times_by_day
        WHERE location_id = ${loc} AND day = '2026-11-02' ORDER BY stage`;
      assert.deepEqual(stages.map((r) => [r.stage, r.orders, r.p50_s, r.p90_s]), [
        ["pending_to_queued", 2, 90, 114],
        ["queued_to_ready", 2, 720, 816],
        ["ready_to_delivered", 2, 150, 174],
      ]);
      const cancels = await m.db.sql`
        SELECT day::text, orders::int, cancelled::int, cancelled_cents::int,
               cancelled_from_pending::int, cancelled_from_queued::int
        FROM cancellations_by_day WHERE location_id = ${loc} ORDER BY day`;
      assert.deepEqual(cancels.map((r) => Object.values(r)), [
        ["2026-10-31", 1, 0, 0, 0, 0],
        ["2026-11-02", 3, 1, 2250, 1, 0],
        ["2026-11-03", 2, 1, 1150, 0, 1],
      ]);
      const turnover = await m.db.sql`
        SELECT day::text, table_number, visits::int, avg_visit_minutes, spend_per_visit_cents
        FROM table_turnover_by_day WHERE location_id = ${loc} ORDER BY day, table_number`;
      assert.deepEqual(turnover.map((r) => Object.values(r)), [
        ["2026-11-02", 1, 1, 60, 2650],
        ["2026-11-02", 2, 1, 30, 1250],
        ["2026-11-03", 2, 1, 45, 700],
      ]);
      const options = await m.db.sql`
        SELECT day::text, option_name, quantity::int, revenue_cents::int FROM option_sales_by_day
        WHERE location_id = ${loc} ORDER BY day`;
      assert.deepEqual(options.map((r) => Object.values(r)), [
        ["2026-11-02", "Oat", 1, 50],
        ["2026-11-03", "Oat", 2, 100],
      ]);
    });

    await t.step("GET /api/analytics/summary serves it to owners and managers only", async () => {
      const url = `/api/analytics/summary?from=${FROM}&to=${TO}`;
      const owner = await s.app.request(url, {
        headers: { authorization: `Bearer ${OWNER_TOKEN}` },
      });
      assert.equal(owner.status, 200);
      assert.deepEqual(await owner.json(), expected);
      const manager = await deviceToken(s, "manager");
      const res = await s.app.request(url, {
        headers: { authorization: `Bearer ${manager.token}` },
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), expected);
      for (const role of ["kitchen", "server"] as const) {
        const { token } = await deviceToken(s, role);
        const refused = await s.app.request(url, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(refused.status, 403);
        assert.equal((await refused.json()).error.code, "forbidden");
      }
      const noAuth = await s.app.request(url);
      assert.equal(noAuth.status, 401);
      await noAuth.body?.cancel();
    });

    await t.step("bad ranges are 400s", async () => {
      const auth = { authorization: `Bearer ${OWNER_TOKEN}` };
      for (
        const [query, code] of [
          [`from=${TO}&to=${FROM}`, "invalid_range"],
          ["from=2020-01-01&to=2026-01-01", "invalid_range"],
          ["from=yesterday", "invalid_parameters"],
          [`to=${"9".repeat(60)}`, "invalid_parameters"],
        ]
      ) {
        const res = await s.app.request(`/api/analytics/summary?${query}`, { headers: auth });
        assert.equal(res.status, 400, query);
        assert.equal((await res.json()).error.code, code, query);
      }
    });

    await t.step("deno task report prints the tables", () => {
      const text = formatReport("SeatServe Demo Bistro", expected);
      assert.match(text, /3 orders, revenue 46\.00 EUR, average 15\.33 EUR/);
      assert.match(text, /Espresso\s+3\s+10\.50 EUR\s+2/);
      assert.match(text, /queued → ready\s+3\s+600\.0 s\s+792\.0 s/);
      assert.match(text, /bar\s+2\s+120\.0 s\s+120\.0 s/);
      assert.match(text, /5\s+2\s+40\.0%\s+34\.00 EUR\s+1\s+1/);
    });

    await t.step("health: ok with the mirror caught up", async () => {
      const deadline = Date.now() + 10_000;
      let mirror;
      do {
        mirror = (await (await s.app.request("/api/health")).json()).mirror;
        if (mirror.state === "ok" && mirror.lagEvents === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      } while (Date.now() < deadline);
      assert.deepEqual(mirror, { state: "ok", lagEvents: 0, lagSeconds: 0 });
    });
  } finally {
    await m.close();
    await pg.close();
  }
});

Deno.test("[analytics] without DATABASE_URL", async (t) => {
  const s = await newTestServices();
  try {
    await t.step("the summary is a 503 mirror_off", async () => {
      const res = await s.app.request("/api/analytics/summary", {
        headers: { authorization: `Bearer ${OWNER_TOKEN}` },
      });
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error.code, "mirror_off");
    });
    await t.step("health says off", async () => {
      const res = await s.app.request("/api/health");
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.status, "ok");
      assert.deepEqual(body.mirror, { state: "off", lagEvents: 0, lagSeconds: 0 });
      for (const path of ["/api/health/live", "/api/health/ready"]) {
        const probe = await s.app.request(path);
        assert.equal(probe.status, 200);
        assert.deepEqual(await probe.json(), { status: "ok" });
      }
      // Shutting down: not ready any more, still live.
      s.services.readiness.drain();
      const ready = await s.app.request("/api/health/ready");
      assert.equal(ready.status, 503);
      assert.deepEqual(await ready.json(), { status: "unavailable", reason: "draining" });
      const live = await s.app.request("/api/health/live");
      assert.equal(live.status, 200);
      await live.body?.cancel();
    });
  } finally {
    s.close();
  }
});
