/** The analytics summary as text tables, for `deno task report`. */
import type { AnalyticsSummary } from "./analytics.ts";

/** The summary as text tables. */
export function formatReport(name: string, s: AnalyticsSummary): string {
  const money = (cents: number | null) =>
    cents === null ? "-" : `${(cents / 100).toFixed(2)}${s.currency ? " " + s.currency : ""}`;
  const secs = (v: number | null) => v === null ? "-" : `${v.toFixed(1)} s`;
  const parts = [
    `${name}: ${s.from} to ${s.to}`,
    `${s.totals.orders} orders, revenue ${money(s.totals.revenueCents)}, average ${
      money(s.totals.averageOrderCents)
    }`,
    table(
      "Revenue by day",
      ["day", "orders", "revenue"],
      s.revenueByDay.map((r) => [r.day, r.orders, money(r.revenueCents)]),
    ),
    table(
      "Revenue by hour",
      ["hour", "orders", "revenue"],
      s.revenueByHour.map((r) => [r.hour.slice(0, 13) + "h", r.orders, money(r.revenueCents)]),
    ),
    table(
      "Items",
      ["item", "quantity", "revenue", "orders"],
      s.items.map((r) => [r.name, r.quantity, money(r.revenueCents), r.orders]),
    ),
    table(
      "Options",
      ["group", "option", "quantity", "revenue"],
      s.options.map((r) => [r.group ?? "-", r.name ?? "-", r.quantity, money(r.revenueCents)]),
    ),
    table(
      "Stage times",
      ["stage", "orders", "p50", "p90"],
      [
        ["pending → queued", s.stageTimes.pendingToQueued],
        ["queued → ready", s.stageTimes.queuedToReady],
        ["ready → delivered", s.stageTimes.readyToDelivered],
      ].map(([label, t]) => {
        const time = t as AnalyticsSummary["stageTimes"]["queuedToReady"];
        return [label as string, time.count, secs(time.p50Seconds), secs(time.p90Seconds)];
      }),
    ),
    table(
      "Stations (queued → ready)",
      ["station", "orders", "p50", "p90"],
      s.stations.map((r) => [r.station, r.count, secs(r.p50Seconds), secs(r.p90Seconds)]),
    ),
    table(
      "Orders per table",
      ["table", "orders", "revenue"],
      s.tables.map((r) => [r.tableNumber, r.orders, money(r.revenueCents)]),
    ),
    table(
      "Table turnover",
      ["table", "visits", "per day", "minutes", "spend/visit"],
      s.turnover.map((
        r,
      ) => [
        r.tableNumber ?? r.tableId,
        r.visits,
        r.visitsPerDay,
        r.averageVisitMinutes ?? "-",
        money(r.spendPerVisitCents),
      ]),
    ),
    table(
      "Cancellations",
      ["orders", "cancelled", "rate", "value", "from pending", "from queued"],
      [[
        s.cancellations.orders,
        s.cancellations.cancelled,
        `${(s.cancellations.rate * 100).toFixed(1)}%`,
        money(s.cancellations.cancelledCents),
        s.cancellations.fromPending,
        s.cancellations.fromQueued,
      ]],
    ),
  ];
  return parts.join("\n\n");
}

function table(title: string, head: string[], rows: (string | number)[][]): string {
  if (!rows.length) return `${title}\n  (none)`;
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) =>
    "  " + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [
    title,
    line(head),
    "  " + widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.slice(1).map(line),
  ].join("\n");
}
