/**
 * The overview's live orders: the open orders by status, from the kitchen stream. The browser's
 * `EventSource` reconnects by itself after a drop and sends `Last-Event-ID`, so the server
 * replays what was missed (or sends a fresh snapshot); every event carries the whole order, so
 * applying one twice changes nothing.
 */
import { useEffect, useState } from "preact/hooks";
import { fill, formatClock, formatPrice } from "../../lib/pages/format.ts";
import { adminMessages } from "../../lib/pages/admin_messages.ts";
import type { StaffPageSession } from "../../lib/pages/staff_session.ts";
import type { Order } from "../../lib/schemas.ts";
import { LIVE_STATUSES, liveList, type LiveOrder, withOrder } from "./live_list.ts";

type Connection = "connecting" | "live" | "reconnecting" | "disconnected";

export function LiveOrders(props: { session: StaffPageSession; orders: LiveOrder[] }) {
  const { session } = props;
  const m = adminMessages(session.lang);
  const [orders, setOrders] = useState(props.orders);
  const [connection, setConnection] = useState<Connection>("connecting");

  useEffect(() => {
    const query = session.locationQuery
      ? `?location=${encodeURIComponent(session.locationQuery)}`
      : "";
    const stream = new EventSource(`/api/kitchen/stream${query}`);
    stream.onopen = () => setConnection("live");
    stream.onerror = () =>
      setConnection(stream.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting");
    stream.addEventListener("snapshot", (event) => {
      const { orders } = JSON.parse((event as MessageEvent).data) as { orders: Order[] };
      setOrders(liveList(orders));
    });
    stream.addEventListener("order", (event) => {
      const order = JSON.parse((event as MessageEvent).data) as Order;
      setOrders((list) => withOrder(list, order));
    });
    return () => stream.close();
  }, []);

  const price = (cents: number) => formatPrice(cents, session.location.currency, session.lang);
  return (
    <section class="live-orders" aria-labelledby="live-orders-title">
      <div class="section-head">
        <h2 id="live-orders-title">{m.liveOrders}</h2>
        <p class={`connection ${connection}`} role="status" data-connection={connection}>
          {m[connection]}
        </p>
      </div>
      {orders.length === 0 && <p class="empty">{m.noOpenOrders}</p>}
      <div class="live-columns">
        {LIVE_STATUSES.map((status) => {
          const here = orders.filter((o) => o.status === status);
          if (!here.length) return null;
          return (
            <section key={status} class={`live-status status-${status}`} data-status={status}>
              <h3>
                {m[`status_${status}`]} <span class="count">{here.length}</span>
              </h3>
              <ul>
                {here.map((order) => (
                  <li key={order.id} data-order={order.id}>
                    <strong>{fill(m.tableN, { n: order.tableNumber })}</strong>
                    <span>
                      {order.items === 1 ? m.oneItem : fill(m.itemsN, { n: order.items })}
                    </span>
                    <span>{price(order.totalCents)}</span>
                    <span class="muted">
                      {fill(m.placedAt, { time: formatClock(order.createdAt, session.lang) })}
                    </span>
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </section>
  );
}
