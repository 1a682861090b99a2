/**
 * The live tracker of the orders placed from this phone: each follows its order stream, which
 * resumes by itself with `Last-Event-ID`; when the phone wakes and the browser had given the
 * stream up, it is opened again. Shows the status, the estimated ready time when there is one,
 * and the table's orders' lines.
 */
import { useEffect, useState } from "preact/hooks";
import type { Order } from "../../lib/schemas.ts";
import { fill, formatClock, formatPrice } from "../../lib/pages/format.ts";
import { guestMessages } from "../../lib/pages/guest_messages.ts";
import type { StoredOrder } from "./storage.ts";

export type PlacedOrder = StoredOrder;

const STEPS = ["pending", "queued", "preparing", "ready", "delivered"] as const;
const FINAL = new Set(["closed", "cancelled"]);

export function Tracker(
  props: { orders: PlacedOrder[]; lang: string; currency: string; onChange?: () => void },
) {
  const m = guestMessages(props.lang);
  if (!props.orders.length) return null;
  return (
    <section id="orders" class="orders" aria-labelledby="orders-title">
      <h2 id="orders-title">{m.yourOrders}</h2>
      {props.orders.map((placed) => (
        <OrderCard
          key={placed.id}
          placed={placed}
          lang={props.lang}
          currency={props.currency}
          onChange={props.onChange}
        />
      ))}
    </section>
  );
}

type Estimated = Order & { estimatedReadyAt?: string | null };

function OrderCard(
  props: { placed: PlacedOrder; lang: string; currency: string; onChange?: () => void },
) {
  const m = guestMessages(props.lang);
  const [order, setOrder] = useState<Estimated | null>(props.placed.order ?? null);
  const [online, setOnline] = useState(true);
  const [eta, setEta] = useState<string | null>(null);

  useEffect(() => {
    let stream: EventSource | null = null;
    let ended = false;
    const open = () => {
      if (ended || (stream && stream.readyState !== EventSource.CLOSED)) return;
      stream = new EventSource(
        `/api/orders/${encodeURIComponent(props.placed.id)}/events?token=${
          encodeURIComponent(props.placed.token)
        }`,
      );
      stream.addEventListener("open", () => setOnline(true));
      stream.addEventListener("error", () => setOnline(stream?.readyState === EventSource.OPEN));
      stream.addEventListener("order", (event) => {
        const next = JSON.parse((event as MessageEvent).data) as Estimated;
        setOrder(next);
        props.onChange?.();
        if (next.estimatedReadyAt !== undefined) setEta(next.estimatedReadyAt);
        if (FINAL.has(next.status)) {
          ended = true;
          stream?.close();
        }
      });
      stream.addEventListener("eta", (event) => {
        setEta(JSON.parse((event as MessageEvent).data).estimatedReadyAt ?? null);
      });
    };
    const wake = () => document.visibilityState === "visible" && open();
    open();
    document.addEventListener("visibilitychange", wake);
    addEventListener("online", wake);
    return () => {
      ended = true;
      stream?.close();
      document.removeEventListener("visibilitychange", wake);
      removeEventListener("online", wake);
    };
  }, [props.placed.id]);

  if (!order) return <article class="order">…</article>;
  const step = STEPS.indexOf(order.status as typeof STEPS[number]);
  return (
    <article class={`order status-${order.status}`} data-order={order.id}>
      <header>
        <h3>{fill(m.orderNumber, { id: order.id.slice(-5) })}</h3>
        <span class="total">{formatPrice(order.totalCents, props.currency, props.lang)}</span>
      </header>
      <p class="status" role="status" aria-live="polite">
        {m[`status_${order.status}` as keyof typeof m]}
        {eta && step >= 0 && step < 3 && (
          <span class="eta">{fill(m.readyAround, { time: formatClock(eta, props.lang) })}</span>
        )}
      </p>
      {!online && !FINAL.has(order.status) && <p class="offline">{m.reconnecting}</p>}
      {step >= 0 && (
        <ol class="steps" aria-hidden="true">
          {STEPS.map((s, i) => <li key={s} class={i <= step ? "done" : ""} />)}
        </ol>
      )}
      <ul class="order-lines">
        {order.items.map((line, i) => (
          <li key={i}>
            {line.quantity} × {line.name}
            {line.options?.length ? ` (${line.options.map((o) => o.name).join(", ")})` : ""}
          </li>
        ))}
      </ul>
    </article>
  );
}
