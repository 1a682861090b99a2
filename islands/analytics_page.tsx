/**
 * The admin analytics island: a from/to date picker and the figures of
 * `GET /api/analytics/summary` (revenue by day and by hour, items by quantity and revenue,
 * stage times p50/p90, cancellations, orders per table) as charts (uPlot) and, for everyone and
 * every screen reader, as tables of the same figures. Without the Postgres mirror it says so.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { apiClient } from "../lib/client/api.ts";
import { type DayRange, isDay, rangeOfDays } from "../lib/pages/analytics_days.ts";
import { analyticsMessages } from "../lib/pages/analytics_messages.ts";
import { fill, formatPrice } from "../lib/pages/format.ts";
import type { StaffPageSession } from "../lib/pages/staff_session.ts";
import type { AnalyticsSummary } from "../lib/mirror/analytics.ts";
import { BarChart } from "./analytics/bar_chart.tsx";

const api = apiClient();
/** The two series colours (static/styles.css `.swatch-0`, `.swatch-1` match them). */
const COLORS = ["#0b5cad", "#c2570c"];

/** Where the figures stand: shown, the mirror off or not answering, or a refused range. */
export type AnalyticsState = "ok" | "mirror_off" | "unavailable" | "refused";

export interface AnalyticsPageProps {
  session: StaffPageSession;
  days: DayRange;
  state: AnalyticsState;
  summary: AnalyticsSummary | null;
  /** The server's message when `state` is not "ok". */
  message?: string;
}

export default function AnalyticsPage(props: AnalyticsPageProps) {
  const { session } = props;
  const lang = session.lang;
  const m = analyticsMessages(lang);
  const [days, setDays] = useState(props.days);
  const [state, setState] = useState(props.state);
  const [summary, setSummary] = useState(props.summary);
  const [message, setMessage] = useState(props.message ?? "");
  const [loading, setLoading] = useState(false);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const ready = hydrated ? "true" : undefined;
  const currency = summary?.currency ?? session.location.currency;
  const money = (cents: number) => formatPrice(cents, currency, lang);
  const number = (n: number) => n.toLocaleString(lang);
  const duration = (s: number | null) => {
    if (s === null) return m.none;
    if (s >= 120) return fill(m.minutes, { n: (Math.round(s / 6) / 10).toLocaleString(lang) });
    const digits = s < 1 ? 2 : s < 10 ? 1 : 0;
    return fill(m.seconds, { n: s.toLocaleString(lang, { maximumFractionDigits: digits }) });
  };

  async function show(event: Event) {
    event.preventDefault();
    if (!isDay(days.fromDay) || !isDay(days.toDay)) {
      setState("refused");
      setMessage(m.invalidDays);
      return;
    }
    setLoading(true);
    try {
      const range = rangeOfDays(days);
      const query = {
        ...range,
        ...(session.locationQuery ? { location: session.locationQuery } : {}),
      };
      const { data, error, response } = await api.GET("/api/analytics/summary", {
        params: { query },
      });
      const url = new URL(location.href);
      url.searchParams.set("from", days.fromDay);
      url.searchParams.set("to", days.toDay);
      history.replaceState(null, "", url);
      if (data) {
        setSummary(data as AnalyticsSummary);
        setState("ok");
        setMessage("");
      } else {
        const code = (error as { error?: { code?: string; message?: string } })?.error;
        setState(
          code?.code === "mirror_off"
            ? "mirror_off"
            : response.status === 503
            ? "unavailable"
            : "refused",
        );
        setMessage(code?.message ?? response.statusText);
      }
    } catch (error) {
      setState("unavailable");
      setMessage(fill(m.failed, { reason: String(error) }));
    } finally {
      setLoading(false);
    }
  }

  if (state === "mirror_off") {
    return (
      <div class="analytics" data-hydrated={ready}>
        <p class="notice-box mirror-off" role="status">{m.mirrorOff}</p>
      </div>
    );
  }

  const dayInput = (key: keyof DayRange, label: string) => (
    <div class="field">
      <label for={`days-${key}`}>{label}</label>
      <input
        id={`days-${key}`}
        name={key === "fromDay" ? "from" : "to"}
        type="date"
        value={days[key]}
        required
        onInput={(e) => setDays({ ...days, [key]: (e.target as HTMLInputElement).value })}
      />
    </div>
  );
  const s = state === "ok" ? summary : null;
  const stages = s
    ? ([
      ["pendingToQueued", s.stageTimes.pendingToQueued],
      ["queuedToReady", s.stageTimes.queuedToReady],
      ["readyToDelivered", s.stageTimes.readyToDelivered],
    ] as const)
    : [];
  const c = s?.cancellations;
  const otherCancels = c ? c.cancelled - c.fromPending - c.fromQueued : 0;

  return (
    <div class="analytics" data-hydrated={ready}>
      <form class="days" method="get" action="/admin/analytics" onSubmit={show}>
        {session.locationQuery && (
          <input type="hidden" name="location" value={session.locationQuery} />
        )}
        <fieldset>
          <legend>{m.range}</legend>
          {dayInput("fromDay", m.from)}
          {dayInput("toDay", m.to)}
          <button type="submit" class="primary" disabled={loading}>
            {loading ? m.loading : m.show}
          </button>
        </fieldset>
        <p class="hint">{m.rangeNote}</p>
      </form>
      {state !== "ok" && <p class="notice-box error" role="alert">{message}</p>}
      {s && (
        <div class="figures" aria-busy={loading ? "true" : undefined}>
          <section class="panel totals" aria-labelledby="h-totals">
            <h2 id="h-totals">{m.totals}</h2>
            <dl>
              <div>
                <dt>{m.orders}</dt>
                <dd data-value={s.totals.orders}>{number(s.totals.orders)}</dd>
              </div>
              <div>
                <dt>{m.revenue}</dt>
                <dd data-value={s.totals.revenueCents}>{money(s.totals.revenueCents)}</dd>
              </div>
              <div>
                <dt>{m.averageOrder}</dt>
                <dd data-value={s.totals.averageOrderCents ?? ""}>
                  {s.totals.averageOrderCents === null ? m.none : money(s.totals.averageOrderCents)}
                </dd>
              </div>
            </dl>
            {s.totals.orders === 0 && <p>{m.noData}</p>}
          </section>

          <Panel id="by-day" title={m.revenueByDay} note={m.chartNote}>
            <BarChart
              labels={s.revenueByDay.map((r) => r.day)}
              series={[{
                label: m.revenue,
                values: s.revenueByDay.map((r) => r.revenueCents),
                color: COLORS[0],
                format: money,
              }]}
            />
            <Table
              id="by-day"
              head={[m.day, m.orders, m.revenue]}
              rows={s.revenueByDay.map((r) => [
                [r.day, r.day],
                [r.orders, number(r.orders)],
                [r.revenueCents, money(r.revenueCents)],
              ])}
            />
          </Panel>

          <Panel id="by-hour" title={m.revenueByHour} note={m.chartNote}>
            <BarChart
              labels={s.revenueByHour.map((r) => hourLabel(r.hour))}
              series={[{
                label: m.revenue,
                values: s.revenueByHour.map((r) => r.revenueCents),
                color: COLORS[0],
                format: money,
              }]}
            />
            <Table
              id="by-hour"
              head={[m.hour, m.orders, m.revenue]}
              rows={s.revenueByHour.map((r) => [
                [r.hour, hourLabel(r.hour)],
                [r.orders, number(r.orders)],
                [r.revenueCents, money(r.revenueCents)],
              ])}
            />
          </Panel>

          <Panel id="items" title={m.items} note={m.chartNote}>
            <BarChart
              labels={s.items.slice(0, 12).map((r) => r.name)}
              series={[{
                label: m.quantity,
                values: s.items.slice(0, 12).map((r) => r.quantity),
                color: COLORS[0],
                format: number,
              }, {
                label: m.revenue,
                values: s.items.slice(0, 12).map((r) => r.revenueCents),
                color: COLORS[1],
                ownScale: true,
                format: money,
              }]}
            />
            <Table
              id="items"
              head={[m.item, m.quantity, m.revenue, m.orders]}
              rows={s.items.map((r) => [
                [r.menuItemId, r.name],
                [r.quantity, number(r.quantity)],
                [r.revenueCents, money(r.revenueCents)],
                [r.orders, number(r.orders)],
              ])}
            />
          </Panel>

          {s.options.length > 0 && (
            <section class="panel" aria-labelledby="h-options" data-panel="options">
              <h2 id="h-options">{m.options}</h2>
              <Table
                id="options"
                head={[m.option, m.quantity, m.optionRevenue]}
                rows={s.options.map((r) => [
                  [r.optionId ?? "", [r.group, r.name].filter(Boolean).join(": ")],
                  [r.quantity, number(r.quantity)],
                  [r.revenueCents, money(r.revenueCents)],
                ])}
              />
            </section>
          )}

          <Panel id="stages" title={m.stageTimes} note={m.chartNote}>
            <BarChart
              labels={stages.map(([key]) => m[key].split(" (")[0])}
              series={[{
                label: m.p50,
                values: stages.map(([, t]) => t.p50Seconds ?? 0),
                color: COLORS[0],
                format: duration,
              }, {
                label: m.p90,
                values: stages.map(([, t]) => t.p90Seconds ?? 0),
                color: COLORS[1],
                format: duration,
              }]}
            />
            <Table
              id="stages"
              head={[m.stage, m.count, m.p50, m.p90]}
              rows={stages.map(([key, t]) => [
                [key, m[key]],
                [t.count, number(t.count)],
                [t.p50Seconds ?? "", duration(t.p50Seconds)],
                [t.p90Seconds ?? "", duration(t.p90Seconds)],
              ])}
            />
          </Panel>

          {c && (
            <Panel id="cancellations" title={m.cancellations} note={m.chartNote}>
              <BarChart
                labels={[m.fromPending, m.fromQueued, m.otherCancel]}
                series={[{
                  label: m.cancelled,
                  values: [c.fromPending, c.fromQueued, otherCancels],
                  color: COLORS[1],
                  format: number,
                }]}
                height={180}
              />
              <Table
                id="cancellations"
                head={[m.cancellations, m.orders]}
                rows={[
                  [["orders", m.orders], [c.orders, number(c.orders)]],
                  [["cancelled", m.cancelled], [c.cancelled, number(c.cancelled)]],
                  [["fromPending", m.fromPending], [c.fromPending, number(c.fromPending)]],
                  [["fromQueued", m.fromQueued], [c.fromQueued, number(c.fromQueued)]],
                  [["cancelledCents", m.cancelledValue], [
                    c.cancelledCents,
                    money(c.cancelledCents),
                  ]],
                  [["rate", m.cancelRate], [
                    c.rate,
                    c.rate.toLocaleString(lang, { style: "percent", maximumFractionDigits: 1 }),
                  ]],
                ]}
              />
            </Panel>
          )}

          <Panel id="tables" title={m.tables} note={m.chartNote}>
            <BarChart
              labels={s.tables.map((r) => fill(m.tableN, { n: r.tableNumber }))}
              series={[{
                label: m.orders,
                values: s.tables.map((r) => r.orders),
                color: COLORS[0],
                format: number,
              }]}
            />
            <Table
              id="tables"
              head={[m.table, m.orders, m.revenue]}
              rows={s.tables.map((r) => [
                [r.tableNumber, fill(m.tableN, { n: r.tableNumber })],
                [r.orders, number(r.orders)],
                [r.revenueCents, money(r.revenueCents)],
              ])}
            />
          </Panel>
        </div>
      )}
    </div>
  );
}

function Panel(
  props: { id: string; title: string; note: string; children: ComponentChildren },
) {
  return (
    <section class="panel" aria-labelledby={`h-${props.id}`} data-panel={props.id}>
      <h2 id={`h-${props.id}`}>{props.title}</h2>
      <p class="visually-hidden">{props.note}</p>
      {props.children}
    </section>
  );
}

/** A table whose every cell carries its raw value (`data-value`) beside the text shown. */
function Table(
  props: { id: string; head: string[]; rows: [string | number, string][][] },
) {
  return (
    <div class="table-scroll" role="region" aria-labelledby={`h-${props.id}`} tabIndex={0}>
      <table data-table={props.id}>
        <thead>
          <tr>{props.head.map((h, i) => <th key={i} scope="col">{h}</th>)}</tr>
        </thead>
        <tbody>
          {props.rows.map((row, i) => (
            <tr key={i}>
              {row.map(([value, text], j) =>
                j === 0
                  ? <th key={j} scope="row" data-value={value}>{text}</th>
                  : <td key={j} data-value={value}>{text}</td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "2026-11-25T14:00:00.000Z" as "25.11. 14:00"-like text: the day and the hour, in UTC. */
function hourLabel(iso: string): string {
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}
