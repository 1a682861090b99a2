/**
 * An order on the floor page: its table, what is in it, its total and age, and the taps a
 * server makes on it (accept or cancel a pending one, serve a ready one), each sent with the
 * version the server saw (islands/live/outbox.ts).
 */
import { useEffect, useState } from "preact/hooks";
import { fill, formatPrice } from "../../lib/pages/format.ts";
import type { FloorMessages } from "../../lib/pages/floor_messages.ts";
import type { StaffMessages } from "../../lib/pages/staff_messages.ts";
import { enteredAt, type LiveOrder } from "../live/board.ts";
import { ageText } from "../live/clock.ts";
import type { Tap } from "../live/outbox.ts";
import { TapNoticeLine } from "../live/tap_notice.tsx";
import type { TapNotice } from "../live/use_live.ts";

/** What an order card needs besides its order. */
export interface CardContext {
  now: number;
  lang: string;
  currency: string;
  m: FloorMessages;
  sm: StaffMessages;
  onTap(tap: Tap): void;
  onDismiss(target: string): void;
}

export function OrderCard(
  props: { order: LiveOrder; context: CardContext; waiting: boolean; notice?: TapNotice },
) {
  const { order, context: c, waiting, notice } = props;
  // Cancelling takes a second tap within a few seconds: a pocket tap must not cancel an order.
  const [confirming, setConfirming] = useState(false);
  useEffect(() => {
    if (!confirming) return;
    const timer = setTimeout(() => setConfirming(false), 4_000);
    return () => clearTimeout(timer);
  }, [confirming]);
  const age = c.now - Date.parse(enteredAt(order, order.status));
  const move = (to: "queued" | "cancelled" | "delivered") =>
    c.onTap({ kind: "move", orderId: order.id, version: order.version, to });
  return (
    <article class={`floor-order status-${order.status}`} data-order={order.id}>
      <header>
        <h3>{fill(c.sm.table, { n: order.tableNumber })}</h3>
        <span class="floor-age">{fill(c.m.waitingFor, { age: ageText(age) })}</span>
      </header>
      <ul class="floor-lines">
        {order.items.map((line, i) => (
          <li key={i}>
            <strong>{line.quantity}×</strong> {line.name}
            {line.options.length > 0 && (
              <span class="floor-options">{line.options.map((o) => o.name).join(", ")}</span>
            )}
            {line.note && <span class="floor-note">“{line.note}”</span>}
          </li>
        ))}
      </ul>
      {order.note && <p class="floor-note">“{order.note}”</p>}
      <p class="floor-total">
        #{order.id.slice(-5)} · {formatPrice(order.totalCents, c.currency, c.lang)}
      </p>
      {waiting && <p class="floor-waiting">{c.sm.live_waiting}</p>}
      {notice && (
        <TapNoticeLine
          notice={notice}
          status={order.status}
          sm={c.sm}
          class="floor-notice"
          onDismiss={() => c.onDismiss(order.id)}
        />
      )}
      <div class="floor-actions">
        {order.status === "pending" && (
          <>
            <button
              type="button"
              class="primary accept"
              disabled={waiting}
              onClick={() => move("queued")}
            >
              {c.m.accept}
            </button>
            <button
              type="button"
              class={confirming ? "cancel confirming" : "cancel"}
              disabled={waiting}
              onClick={() => confirming ? move("cancelled") : setConfirming(true)}
            >
              {confirming ? c.m.cancelConfirm : c.m.cancel}
            </button>
          </>
        )}
        {order.status === "ready" && (
          <button
            type="button"
            class="primary deliver"
            disabled={waiting}
            onClick={() => move("delivered")}
          >
            {c.m.delivered}
          </button>
        )}
      </div>
    </article>
  );
}
