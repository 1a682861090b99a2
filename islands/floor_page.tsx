/**
 * The floor page's island, for servers on a phone or tablet: the guests' calls to acknowledge,
 * orders waiting to be accepted (unless the location auto-accepts), orders ready to serve, and
 * the tables with their running bills, to close. Live from the kitchen stream (with service
 * requests) through islands/live: the same reconnect, staleness and outbox as the kitchen.
 */
import type { JSX } from "preact";
import { fill } from "../lib/pages/format.ts";
import { floorMessages } from "../lib/pages/floor_messages.ts";
import { staffMessages } from "../lib/pages/staff_messages.ts";
import type { StaffPageSession } from "../lib/pages/staff_session.ts";
import { type LiveOrder, openOrders, openRequests } from "./live/board.ts";
import { ageText, useNow } from "./live/clock.ts";
import { LiveStatus } from "./live/live_status.tsx";
import { tapTarget } from "./live/outbox.ts";
import { type LiveStart, useLive } from "./live/use_live.ts";
import { type CardContext, OrderCard } from "./floor/order_card.tsx";
import { type FloorTable, type FloorVisit, Tables } from "./floor/tables.tsx";

/** What the server gives the floor island. */
export interface FloorPageProps {
  session: StaffPageSession;
  start: LiveStart;
  tables: FloorTable[];
  /** Each table's open visit, or null. */
  visits: Record<string, FloorVisit | null>;
  autoAccept: boolean;
  orderingPaused: boolean;
}

export default function FloorPage(props: FloorPageProps) {
  const { session } = props;
  const m = floorMessages(session.lang);
  const sm = staffMessages(session.lang);
  const live = useLive({
    streamUrl: `/api/kitchen/stream${
      session.locationQuery ? `?location=${encodeURIComponent(session.locationQuery)}` : ""
    }`,
    start: props.start,
    context: session,
    outboxKey: `seatserve:outbox:floor:${session.location.id}`,
  });
  const now = useNow(1_000, props.start.at);
  const orders = openOrders(live.board);
  const requests = openRequests(live.board);
  const pending = orders.filter((o) => o.status === "pending");
  const ready = orders.filter((o) => o.status === "ready");
  const waiting = new Set(live.queued.map(tapTarget));
  const context: CardContext = {
    now,
    lang: session.lang,
    currency: session.location.currency,
    m,
    sm,
    onTap: live.tap,
    onDismiss: live.dismiss,
  };
  const autoAccept = live.board.settings?.autoAccept ?? props.autoAccept;
  const paused = live.board.settings?.orderingPaused ?? props.orderingPaused;
  const showPending = !autoAccept || pending.length > 0;
  const card = (order: LiveOrder) => (
    <OrderCard
      key={order.id}
      order={order}
      context={context}
      waiting={waiting.has(order.id)}
      notice={live.notices[order.id]}
    />
  );

  return (
    <div class="floor">
      <LiveStatus
        state={live.state}
        now={now}
        lang={session.lang}
        what={m.orders}
        queued={live.queued.length}
      />
      {paused && <p class="ordering-paused" role="status">{sm.orderingPaused}</p>}
      <div class="floor-grid">
        <section class="floor-calls" aria-labelledby="floor-calls">
          <h2 id="floor-calls">
            {m.calls} <span class="count">{requests.length}</span>
          </h2>
          {requests.length === 0 && <p class="empty">{m.nothing}</p>}
          <ul class="floor-requests">
            {requests.map((request) => (
              <li
                key={request.id}
                class={`floor-request kind-${request.kind}`}
                data-request={request.id}
              >
                <div>
                  <strong>{fill(sm.table, { n: request.tableNumber })}</strong>{" "}
                  <span>{m[`kind_${request.kind}`]}</span>
                  {request.note && <span class="floor-note">“{request.note}”</span>}
                  <span class="floor-age">
                    {fill(m.waitingFor, { age: ageText(now - Date.parse(request.createdAt)) })}
                  </span>
                  {waiting.has(request.id) && <span class="floor-waiting">{sm.live_waiting}</span>}
                  {live.notices[request.id] && (
                    <span class="floor-notice" role="alert">
                      {fill(sm.tapRefused, { reason: live.notices[request.id].message })}
                    </span>
                  )}
                </div>
                <button
                  type="button"
                  class="primary ack"
                  disabled={waiting.has(request.id)}
                  onClick={() => live.tap({ kind: "ack", requestId: request.id })}
                >
                  {m.acknowledge}
                </button>
              </li>
            ))}
          </ul>
        </section>
        {showPending && (
          <OrderSection
            name="pending"
            title={m.toAccept}
            empty={m.nothing}
            orders={pending}
            card={card}
          />
        )}
        <OrderSection name="ready" title={m.toRun} empty={m.nothing} orders={ready} card={card} />
      </div>
      <section class="floor-tables-section" aria-labelledby="floor-tables">
        <h2 id="floor-tables">{m.tables}</h2>
        <Tables
          tables={props.tables}
          visits={props.visits}
          orders={orders}
          online={live.state.online}
          lang={session.lang}
          currency={session.location.currency}
          context={session}
          m={m}
          sm={sm}
        />
      </section>
    </div>
  );
}

/** A column of order cards under its heading with their count, or "nothing" when empty. */
function OrderSection(
  props: {
    name: "pending" | "ready";
    title: string;
    empty: string;
    orders: LiveOrder[];
    card: (order: LiveOrder) => JSX.Element;
  },
) {
  return (
    <section class={`floor-${props.name}`} aria-labelledby={`floor-${props.name}`}>
      <h2 id={`floor-${props.name}`}>
        {props.title} <span class="count">{props.orders.length}</span>
      </h2>
      {props.orders.length === 0 && <p class="empty">{props.empty}</p>}
      {props.orders.map(props.card)}
    </section>
  );
}
