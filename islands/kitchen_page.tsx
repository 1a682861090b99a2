/**
 * The kitchen display's island: tickets in columns by status (pending ones as "waiting for
 * acceptance" unless the location auto-accepts), live from the kitchen stream through
 * islands/live (reconnects with Last-Event-ID, shows how stale it is when offline, queues taps
 * made offline and sends them with If-Match). A new ticket beeps and flashes (no flash under
 * `prefers-reduced-motion`) and is announced.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { can } from "../lib/auth/roles.ts";
import { fill } from "../lib/pages/format.ts";
import { kitchenMessages } from "../lib/pages/kitchen_messages.ts";
import { staffMessages } from "../lib/pages/staff_messages.ts";
import type { StaffPageSession } from "../lib/pages/staff_session.ts";
import { type AllergenIndex, allergenIndex } from "../lib/pages/allergens.ts";
import { apiClient } from "../lib/client/api.ts";
import { type LiveOrder, openOrders } from "./live/board.ts";
import { useNow } from "./live/clock.ts";
import { LiveStatus } from "./live/live_status.tsx";
import { type LiveStart, useLive } from "./live/use_live.ts";
import { tapTarget } from "./live/outbox.ts";
import { beep, unlockSound } from "./kitchen/sound.ts";
import { Ticket, type TicketContext } from "./kitchen/ticket.tsx";

/** What the server gives the kitchen island. */
export interface KitchenPageProps {
  session: StaffPageSession;
  /** The station shown, or null for the expo view. */
  station: string | null;
  start: LiveStart;
  allergens: AllergenIndex;
  allergenNames: Record<string, string>;
  warnMinutes: number;
  lateMinutes: number;
  autoAccept: boolean;
  orderingPaused: boolean;
}

const api = apiClient();
const COLUMNS = ["pending", "queued", "preparing", "ready"] as const;
const FRESH_MS = 6_000;

export default function KitchenPage(props: KitchenPageProps) {
  const { session } = props;
  const m = kitchenMessages(session.lang);
  const sm = staffMessages(session.lang);
  const query = new URLSearchParams();
  if (props.station) query.set("station", props.station);
  if (session.locationQuery) query.set("location", session.locationQuery);
  const live = useLive({
    streamUrl: `/api/kitchen/stream${query.toString() ? `?${query}` : ""}`,
    start: props.start,
    context: session,
    outboxKey: `seatserve:outbox:kitchen:${session.location.id}`,
  });
  const now = useNow(1_000, props.start.at);
  const [sound, setSound] = useState(true);
  const [announced, setAnnounced] = useState("");
  const seen = useRef<Set<string> | null>(null);
  const arrived = useRef<Record<string, number>>({});
  const [allergens, setAllergens] = useState(props.allergens);
  const asked = useRef(new Set<string>());

  const orders = openOrders(live.board).filter((o) =>
    !props.station || o.items.some((line) => line.station === props.station)
  );

  useEffect(() => {
    try {
      setSound(localStorage.getItem("seatserve:kitchen-sound") !== "off");
    } catch {
      // storage off: sound stays on
    }
    const unlock = () => unlockSound();
    addEventListener("pointerdown", unlock, { once: true });
    addEventListener("keydown", unlock, { once: true });
    return () => {
      removeEventListener("pointerdown", unlock);
      removeEventListener("keydown", unlock);
    };
  }, []);

  // New tickets since the page was rendered: flash, beep, announce.
  useEffect(() => {
    if (!seen.current) {
      seen.current = new Set(props.start.orders.map((o) => o.id));
    }
    const fresh = orders.filter((o) => !seen.current!.has(o.id) && o.status !== "ready");
    for (const order of orders) seen.current.add(order.id);
    if (!fresh.length) return;
    for (const order of fresh) arrived.current[order.id] = Date.now();
    if (sound) beep();
    setAnnounced(fresh.map((o) => fill(m.newTicket, { n: o.tableNumber })).join(". "));
  }, [live.board]);

  // A line of an item added to the menu since the render: read the menu's allergens again.
  useEffect(() => {
    const unknown = orders.flatMap((o) => o.items.map((line) => line.menuItemId))
      .filter((id) => !allergens.items[id] && !asked.current.has(id));
    if (!unknown.length) return;
    for (const id of unknown) asked.current.add(id);
    api.GET("/api/menu", { params: { query: { location: session.location.slug } } })
      .then(({ data }) => data && setAllergens(allergenIndex(data.items)))
      .catch(() => {});
  }, [live.board]);

  const waiting = new Set(live.queued.map(tapTarget));
  // The render's settings until the stream says they changed.
  const settings = live.board.settings ?? {
    autoAccept: props.autoAccept,
    orderingPaused: props.orderingPaused,
    ticketWarnMinutes: props.warnMinutes,
    ticketLateMinutes: props.lateMinutes,
  };
  const context: TicketContext = {
    now,
    lang: session.lang,
    station: props.station,
    m,
    sm,
    allergens,
    allergenNames: props.allergenNames,
    warnMs: settings.ticketWarnMinutes * 60_000,
    lateMs: settings.ticketLateMinutes * 60_000,
    canWork: can(session.role, "kitchen.lines"),
    onTap: live.tap,
    onDismiss: live.dismiss,
  };
  const columns = COLUMNS.filter((status) =>
    status !== "pending" || !settings.autoAccept || orders.some((o) => o.status === "pending")
  );
  const toggleSound = () => {
    const next = !sound;
    setSound(next);
    try {
      localStorage.setItem("seatserve:kitchen-sound", next ? "on" : "off");
    } catch {
      // not kept
    }
  };

  return (
    <div class="kitchen">
      <div class="kitchen-bar">
        <LiveStatus
          state={live.state}
          now={now}
          lang={session.lang}
          what={m.tickets}
          queued={live.queued.length}
        />
        <button type="button" class="sound" aria-pressed={sound} onClick={toggleSound}>
          {sound ? m.soundOn : m.soundOff}
        </button>
      </div>
      {settings.orderingPaused && <p class="ordering-paused" role="status">{sm.orderingPaused}</p>}
      <p class="visually-hidden" role="status" aria-live="assertive">{announced}</p>
      <div class={`columns columns-${columns.length}`}>
        {columns.map((status) => {
          const here: LiveOrder[] = orders.filter((o) => o.status === status);
          return (
            <section
              class={`column column-${status}`}
              key={status}
              aria-labelledby={`column-${status}`}
            >
              <h2 id={`column-${status}`}>
                {m[`column_${status}`]} <span class="count">{here.length}</span>
              </h2>
              {here.length === 0 && <p class="empty">{m.noTickets}</p>}
              {here.map((order) => (
                <Ticket
                  key={order.id}
                  order={order}
                  context={context}
                  waiting={waiting.has(order.id)}
                  notice={live.notices[order.id]}
                  fresh={now - (arrived.current[order.id] ?? 0) < FRESH_MS}
                />
              ))}
            </section>
          );
        })}
      </div>
    </div>
  );
}
