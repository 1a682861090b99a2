/**
 * One kitchen ticket: table, age (from the page's one clock, amber and red past the
 * location's thresholds), the lines large with quantity, options, notes and allergens, a tap
 * on a line to mark it ready (or undo), and one button to move the ticket on or recall it.
 * In a station's view its own lines come first and the others are only counted; in the expo
 * view lines are grouped by station.
 */
import type { OrderLine } from "../../lib/schemas.ts";
import { fill, formatClock } from "../../lib/pages/format.ts";
import type { KitchenMessages } from "../../lib/pages/kitchen_messages.ts";
import type { StaffMessages } from "../../lib/pages/staff_messages.ts";
import { type AllergenIndex, lineAllergens } from "../../lib/pages/allergens.ts";
import { enteredAt, type LiveOrder } from "../live/board.ts";
import { ageText } from "../live/clock.ts";
import type { Tap } from "../live/outbox.ts";
import { TapNoticeLine } from "../live/tap_notice.tsx";
import type { TapNotice } from "../live/use_live.ts";

/** What a ticket needs besides its order. */
export interface TicketContext {
  now: number;
  lang: string;
  station: string | null;
  m: KitchenMessages;
  sm: StaffMessages;
  allergens: AllergenIndex;
  allergenNames: Record<string, string>;
  warnMs: number;
  lateMs: number;
  /** Whether this sign-in may mark lines and move tickets (kitchen, manager, owner). */
  canWork: boolean;
  onTap(tap: Tap): void;
  onDismiss(orderId: string): void;
}

const NEXT: Partial<
  Record<LiveOrder["status"], { to: "preparing" | "ready"; label: keyof KitchenMessages }>
> = {
  queued: { to: "preparing", label: "start" },
  preparing: { to: "ready", label: "markReady" },
  ready: { to: "preparing", label: "recall" },
};

export function Ticket(
  props: {
    order: LiveOrder;
    context: TicketContext;
    waiting: boolean;
    notice?: TapNotice;
    fresh: boolean;
  },
) {
  const { order, context: c, waiting, notice } = props;
  const since = order.status === "pending" ? order.createdAt : enteredAt(order, "queued");
  const age = c.now - Date.parse(since);
  const timed = order.status === "pending" || order.status === "queued" ||
    order.status === "preparing";
  const lateness = !timed ? "" : age >= c.lateMs ? " late" : age >= c.warnMs ? " warn" : "";
  const linesOpen = order.status === "queued" || order.status === "preparing";
  const next = NEXT[order.status];
  const indexed = order.items.map((line, index) => ({ line, index }));
  const mine = c.station ? indexed.filter(({ line }) => line.station === c.station) : indexed;
  const others = indexed.length - mine.length;
  const groups = c.station ? [[c.station, mine] as const] : groupByStation(mine);
  const headingId = `ticket-${order.id}`;
  return (
    <article
      class={`ticket status-${order.status}${lateness}${props.fresh ? " fresh" : ""}`}
      data-order={order.id}
      data-version={order.version}
      aria-labelledby={headingId}
    >
      <header class="ticket-head">
        <h3 id={headingId}>{fill(c.sm.table, { n: order.tableNumber })}</h3>
        <span class="ticket-id">#{order.id.slice(-5)}</span>
        <span class="ticket-age" data-age-ms={age}>
          {fill(c.m.age, { age: ageText(age) })}
        </span>
      </header>
      {order.estimatedReadyAt && timed && (
        <p class="ticket-due">
          {fill(c.m.estimate, { time: formatClock(order.estimatedReadyAt, c.lang) })}
        </p>
      )}
      {groups.map(([station, lines]) => (
        <section class="ticket-station" key={station} aria-label={station}>
          {groups.length > 1 && <h4>{station}</h4>}
          <ul class="ticket-lines">
            {lines.map(({ line, index }) => (
              <li key={index}>
                <Line
                  line={line}
                  index={index}
                  order={order}
                  context={c}
                  enabled={linesOpen && c.canWork && !waiting}
                />
              </li>
            ))}
          </ul>
        </section>
      ))}
      {others > 0 && <p class="ticket-others">{fill(c.m.otherStations, { n: others })}</p>}
      {order.note && (
        <p class="ticket-note">
          <strong>{c.m.orderNote}:</strong> {order.note}
        </p>
      )}
      {waiting && <p class="ticket-waiting">{c.sm.live_waiting}</p>}
      {notice && (
        <TapNoticeLine
          notice={notice}
          status={order.status}
          sm={c.sm}
          class="ticket-notice"
          onDismiss={() => c.onDismiss(order.id)}
        />
      )}
      {next && c.canWork && (
        <button
          type="button"
          class={`ticket-move move-${next.label}`}
          disabled={waiting}
          onClick={() =>
            c.onTap({ kind: "move", orderId: order.id, version: order.version, to: next.to })}
        >
          {c.m[next.label]}
        </button>
      )}
    </article>
  );
}

function Line(
  props: {
    line: OrderLine;
    index: number;
    order: LiveOrder;
    context: TicketContext;
    enabled: boolean;
  },
) {
  const { line, index, order, context: c } = props;
  const ready = Boolean(line.readyAt);
  const allergens = lineAllergens(c.allergens, line);
  const body = (
    <>
      <span class="line-main">
        <span class="line-qty">{line.quantity}×</span> <span class="line-name">{line.name}</span>
      </span>
      {line.options.length > 0 && (
        <span class="line-options">{line.options.map((o) => o.name).join(" · ")}</span>
      )}
      {line.note && (
        <span class="line-note">
          <strong>{c.m.note}:</strong> {line.note}
        </span>
      )}
      {allergens === null
        ? <span class="line-allergens unknown">{c.m.allergensUnknown}</span>
        : allergens.length > 0 && (
          <span class="line-allergens">
            <span class="visually-hidden">{c.m.allergens}:</span>
            {allergens.map((a) => <span class="allergen" key={a}>{c.allergenNames[a] ?? a}</span>)}
          </span>
        )}
    </>
  );
  if (!props.enabled) {
    return <div class={`line${ready ? " ready" : ""}`} data-line={index}>{body}</div>;
  }
  return (
    <button
      type="button"
      class={`line${ready ? " ready" : ""}`}
      data-line={index}
      aria-pressed={ready}
      onClick={() =>
        c.onTap({ kind: "line", orderId: order.id, version: order.version, index, ready: !ready })}
    >
      {body}
    </button>
  );
}

function groupByStation(
  lines: { line: OrderLine; index: number }[],
): (readonly [string, { line: OrderLine; index: number }[]])[] {
  const groups = new Map<string, { line: OrderLine; index: number }[]>();
  for (const entry of lines) {
    const list = groups.get(entry.line.station) ?? [];
    list.push(entry);
    groups.set(entry.line.station, list);
  }
  return [...groups];
}
