/**
 * Analytics over the mirror's views (`migrations/002_views.sql`) for one location and a time
 * range [from, to): what `GET /api/analytics/summary` serves and `deno task report` prints.
 * Orders count by the time they were placed; revenue leaves cancelled orders out.
 */
import type postgres from "postgres";
import { badRequest, unavailable } from "../errors.ts";

/** p50/p90 of one stage, in seconds (null when no order went through it). */
export interface StageTime {
  count: number;
  p50Seconds: number | null;
  p90Seconds: number | null;
}

/** Everything the summary holds. */
export interface AnalyticsSummary {
  from: string;
  to: string;
  currency: string | null;
  totals: { orders: number; revenueCents: number; averageOrderCents: number | null };
  revenueByDay: { day: string; orders: number; revenueCents: number }[];
  revenueByHour: { hour: string; orders: number; revenueCents: number }[];
  items: {
    menuItemId: string;
    name: string;
    quantity: number;
    revenueCents: number;
    orders: number;
  }[];
  options: {
    groupId: string | null;
    group: string | null;
    optionId: string | null;
    name: string | null;
    quantity: number;
    revenueCents: number;
  }[];
  stageTimes: {
    pendingToQueued: StageTime;
    queuedToReady: StageTime;
    readyToDelivered: StageTime;
  };
  stations: ({ station: string } & StageTime)[];
  tables: { tableId: string; tableNumber: number; orders: number; revenueCents: number }[];
  turnover: {
    tableId: string;
    tableNumber: number | null;
    visits: number;
    visitsPerDay: number;
    averageVisitMinutes: number | null;
    spendPerVisitCents: number | null;
  }[];
  cancellations: {
    orders: number;
    cancelled: number;
    cancelledCents: number;
    rate: number;
    fromPending: number;
    fromQueued: number;
  };
}

/** A time range: `from` inclusive, `to` exclusive. */
export interface Range {
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;
/** The longest range one summary covers. */
export const MAX_RANGE_DAYS = 366;

/**
 * The range a summary is asked for: `to` defaults to `now`, `from` to 30 days before `to`;
 * `from` after `to`, or more than `MAX_RANGE_DAYS` between them, is a 400 `invalid_range`.
 */
export function summaryRange(asked: { from?: Date; to?: Date }, now = new Date()): Range {
  const to = asked.to ?? now;
  const from = asked.from ?? new Date(to.getTime() - 30 * DAY_MS);
  if (from.getTime() >= to.getTime()) {
    throw badRequest("`from` must be before `to`.", "invalid_range");
  }
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw badRequest(`A summary covers at most ${MAX_RANGE_DAYS} days.`, "invalid_range");
  }
  return { from, to };
}

/**
 * The summary of a location over `range`, read in one repeatable-read transaction so every part
 * is of the same moment. A Postgres that does not answer is a 503 `mirror_unavailable`.
 */
export async function analyticsSummary(
  sql: postgres.Sql,
  locationId: string,
  range: Range,
): Promise<AnalyticsSummary> {
  try {
    return await sql.begin(
      "ISOLATION LEVEL REPEATABLE READ READ ONLY",
      (tx) => summarize(tx, locationId, range),
    );
  } catch (error) {
    if (isConnectionError(error)) {
      throw unavailable(
        "The analytics database does not answer right now; try again shortly.",
        5,
        "mirror_unavailable",
      );
    }
    throw error;
  }
}

async function summarize(
  tx: postgres.TransactionSql,
  loc: string,
  { from, to }: Range,
): Promise<AnalyticsSummary> {
  const days = Math.max(1, (to.getTime() - from.getTime()) / 86_400_000);
  const [currency] = await tx<{ currency: string }[]>`
    SELECT currency FROM locations WHERE id = ${loc}`;
  // Whole hours come from the view; a range that starts or ends within an hour, from its rows.
  const aligned = from.getTime() % 3_600_000 === 0 && to.getTime() % 3_600_000 === 0;
  const hours = aligned
    ? await tx<{ hour: Date; orders: string; revenue_cents: string }[]>`
      SELECT hour, orders, revenue_cents FROM revenue_by_hour
      WHERE location_id = ${loc} AND hour >= ${from} AND hour < ${to}
      ORDER BY hour`
    : await tx<{ hour: Date; orders: string; revenue_cents: string }[]>`
      SELECT date_trunc('hour', created_at) AS hour, count(*) AS orders,
             coalesce(sum(total_cents), 0) AS revenue_cents
      FROM orders
      WHERE location_id = ${loc} AND status <> 'cancelled'
        AND created_at >= ${from} AND created_at < ${to}
      GROUP BY 1 ORDER BY 1`;
  const revenueByHour = hours.map((r) => ({
    hour: r.hour.toISOString(),
    orders: Number(r.orders),
    revenueCents: Number(r.revenue_cents),
  }));
  const dayMap = new Map<string, { day: string; orders: number; revenueCents: number }>();
  for (const h of revenueByHour) {
    const day = h.hour.slice(0, 10);
    const row = dayMap.get(day) ?? { day, orders: 0, revenueCents: 0 };
    row.orders += h.orders;
    row.revenueCents += h.revenueCents;
    dayMap.set(day, row);
  }
  const revenueByDay = [...dayMap.values()];
  const orders = revenueByDay.reduce((n, d) => n + d.orders, 0);
  const revenueCents = revenueByDay.reduce((n, d) => n + d.revenueCents, 0);

  const items = await tx<
    {
      menu_item_id: string;
      name: string;
      quantity: string;
      revenue_cents: string;
      orders: string;
    }[]
  >`
    SELECT menu_item_id, name, sum(quantity) AS quantity, sum(line_total_cents) AS revenue_cents,
           count(DISTINCT order_id) AS orders
    FROM sold_lines
    WHERE location_id = ${loc} AND created_at >= ${from} AND created_at < ${to}
    GROUP BY menu_item_id, name
    ORDER BY sum(quantity) DESC, sum(line_total_cents) DESC, name`;
  const options = await tx<
    {
      group_id: string | null;
      group_name: string | null;
      option_id: string | null;
      option_name: string | null;
      quantity: string;
      revenue_cents: string;
    }[]
  >`
    SELECT group_id, group_name, option_id, option_name, sum(quantity) AS quantity,
           sum(revenue_cents) AS revenue_cents
    FROM sold_options
    WHERE location_id = ${loc} AND created_at >= ${from} AND created_at < ${to}
    GROUP BY group_id, group_name, option_id, option_name
    ORDER BY sum(quantity) DESC, sum(revenue_cents) DESC, option_name`;
  const [stages] = await tx<Record<string, number | string | null>[]>`
    SELECT count(pending_to_queued_s) AS pq_n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY pending_to_queued_s) AS pq_50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY pending_to_queued_s) AS pq_90,
           count(queued_to_ready_s) AS qr_n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY queued_to_ready_s) AS qr_50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY queued_to_ready_s) AS qr_90,
           count(ready_to_delivered_s) AS rd_n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ready_to_delivered_s) AS rd_50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY ready_to_delivered_s) AS rd_90
    FROM order_stage_times
    WHERE location_id = ${loc} AND created_at >= ${from} AND created_at < ${to}`;
  const stage = (key: string): StageTime => ({
    count: Number(stages[`${key}_n`]),
    p50Seconds: seconds(stages[`${key}_50`]),
    p90Seconds: seconds(stages[`${key}_90`]),
  });
  const stations = await tx<
    { station: string; n: string; p50: number | null; p90: number | null }[]
  >`
    SELECT station, count(queued_to_ready_s) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY queued_to_ready_s) AS p50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY queued_to_ready_s) AS p90
    FROM station_stage_times
    WHERE location_id = ${loc} AND created_at >= ${from} AND created_at < ${to}
      AND queued_to_ready_s IS NOT NULL
    GROUP BY station ORDER BY station`;
  const tables = await tx<
    { table_id: string; table_number: number; orders: string; revenue_cents: string }[]
  >`
    SELECT table_id, table_number, count(*) AS orders, sum(total_cents) AS revenue_cents
    FROM orders
    WHERE location_id = ${loc} AND status <> 'cancelled'
      AND created_at >= ${from} AND created_at < ${to}
    GROUP BY table_id, table_number ORDER BY table_number, table_id`;
  const turnover = await tx<
    {
      table_id: string;
      table_number: number | null;
      visits: string;
      minutes: number | null;
      spend: number | null;
    }[]
  >`
    SELECT table_id, table_number, count(*) AS visits, avg(visit_minutes) AS minutes,
           avg(total_cents)::double precision AS spend
    FROM visit_times
    WHERE location_id = ${loc} AND opened_at >= ${from} AND opened_at < ${to}
    GROUP BY table_id, table_number ORDER BY table_number, table_id`;
  const [cancel] = await tx<
    {
      orders: string;
      cancelled: string;
      cancelled_cents: string;
      from_pending: string;
      from_queued: string;
    }[]
  >`
    SELECT count(*) AS orders,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           coalesce(sum(total_cents) FILTER (WHERE status = 'cancelled'), 0) AS cancelled_cents,
           count(*) FILTER (WHERE status = 'cancelled' AND previous = 'pending') AS from_pending,
           count(*) FILTER (WHERE status = 'cancelled' AND previous = 'queued') AS from_queued
    FROM (
      SELECT o.status, o.total_cents, (
        SELECT p.status FROM order_status_changes x
        JOIN order_status_changes p ON p.order_id = x.order_id AND p.seq = x.seq - 1
        WHERE x.order_id = o.id AND x.status = 'cancelled' LIMIT 1
      ) AS previous
      FROM orders o
      WHERE o.location_id = ${loc} AND o.created_at >= ${from} AND o.created_at < ${to}
    ) t`;
  const cancelled = Number(cancel.cancelled);
  const allOrders = Number(cancel.orders);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    currency: currency?.currency ?? null,
    totals: {
      orders,
      revenueCents,
      averageOrderCents: orders ? Math.round(revenueCents / orders) : null,
    },
    revenueByDay,
    revenueByHour,
    items: items.map((r) => ({
      menuItemId: r.menu_item_id,
      name: r.name,
      quantity: Number(r.quantity),
      revenueCents: Number(r.revenue_cents),
      orders: Number(r.orders),
    })),
    options: options.map((r) => ({
      groupId: r.group_id,
      group: r.group_name,
      optionId: r.option_id,
      name: r.option_name,
      quantity: Number(r.quantity),
      revenueCents: Number(r.revenue_cents),
    })),
    stageTimes: {
      pendingToQueued: stage("pq"),
      queuedToReady: stage("qr"),
      readyToDelivered: stage("rd"),
    },
    stations: stations.map((r) => ({
      station: r.station,
      count: Number(r.n),
      p50Seconds: seconds(r.p50),
      p90Seconds: seconds(r.p90),
    })),
    tables: tables.map((r) => ({
      tableId: r.table_id,
      tableNumber: r.table_number,
      orders: Number(r.orders),
      revenueCents: Number(r.revenue_cents),
    })),
    turnover: turnover.map((r) => ({
      tableId: r.table_id,
      tableNumber: r.table_number,
      visits: Number(r.visits),
      visitsPerDay: Math.round(Number(r.visits) / days * 100) / 100,
      averageVisitMinutes: r.minutes === null ? null : Math.round(r.minutes * 10) / 10,
      spendPerVisitCents: r.spend === null ? null : Math.round(r.spend),
    })),
    cancellations: {
      orders: allOrders,
      cancelled,
      cancelledCents: Number(cancel.cancelled_cents),
      rate: allOrders ? Math.round(cancelled / allOrders * 10_000) / 10_000 : 0,
      fromPending: Number(cancel.from_pending),
      fromQueued: Number(cancel.from_queued),
    },
  };
}

function seconds(value: number | string | null | undefined): number | null {
  return value === null || value === undefined ? null : Math.round(Number(value) * 1000) / 1000;
}

/** Whether an error says Postgres could not be reached (not a fault in a query). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? "";
  return [
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "CONNECT_TIMEOUT",
    "CONNECTION_CLOSED",
    "CONNECTION_ENDED",
    "CONNECTION_DESTROYED",
    "57P01", // admin shutdown
    "57P03", // cannot connect now (starting up)
    "53300", // too many connections
  ].includes(code) || error instanceof Deno.errors.ConnectionRefused;
}
