/**
 * The floor's tables: each with its open visit's running bill (read again whenever one of the
 * table's orders changes, and after a reconnect) and closing it. A close refused because
 * orders are still open says which ones; closing needs a connection (it has no version to
 * check later, so it is never queued).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { apiClient } from "../../lib/client/api.ts";
import { fill, formatPrice } from "../../lib/pages/format.ts";
import type { FloorMessages } from "../../lib/pages/floor_messages.ts";
import type { StaffMessages } from "../../lib/pages/staff_messages.ts";
import type { Visit } from "../../lib/visits/visit.ts";
import type { LiveOrder } from "../live/board.ts";
import type { TapContext } from "../live/outbox.ts";

const api = apiClient();

/** A table as the floor shows it. */
export interface FloorTable {
  id: string;
  number: number;
  seats: number;
}

/** A visit as the API answers it (no location). */
export type FloorVisit = Omit<Visit, "locationId">;

export function Tables(
  props: {
    tables: FloorTable[];
    visits: Record<string, FloorVisit | null>;
    orders: LiveOrder[];
    online: boolean;
    lang: string;
    currency: string;
    context: TapContext;
    m: FloorMessages;
    sm: StaffMessages;
  },
) {
  const { m, sm } = props;
  const [visits, setVisits] = useState(props.visits);
  const [messages, setMessages] = useState<Record<string, string>>({});
  const [closing, setClosing] = useState<string | null>(null);
  const signatures = useRef<Record<string, string>>({});
  const wasOnline = useRef(false);
  const query = props.context.locationQuery ? { location: props.context.locationQuery } : undefined;
  const price = (cents: number) => formatPrice(cents, props.currency, props.lang);

  async function reread(tableId: string) {
    try {
      const { data, response } = await api.GET("/api/tables/{id}/visit", {
        params: { path: { id: tableId }, query },
      });
      if (data) setVisits((all) => ({ ...all, [tableId]: data as FloorVisit }));
      else if (response.status === 404) setVisits((all) => ({ ...all, [tableId]: null }));
    } catch {
      // offline: read again after the reconnect
    }
  }

  // A table's orders changed: its bill is read again.
  useEffect(() => {
    const byTable: Record<string, string[]> = {};
    for (const order of props.orders) {
      (byTable[order.tableId] ??= []).push(`${order.id}:${order.version}`);
    }
    for (const table of props.tables) {
      const signature = (byTable[table.id] ?? []).join(",");
      const before = signatures.current[table.id];
      signatures.current[table.id] = signature;
      if (before !== undefined && before !== signature && props.online) reread(table.id);
    }
  }, [props.orders]);

  // Back after being offline: every bill, since closes made elsewhere are not on the stream.
  useEffect(() => {
    if (!props.online) return;
    if (wasOnline.current) { for (const table of props.tables) reread(table.id); }
    wasOnline.current = true;
  }, [props.online]);

  async function close(table: FloorTable) {
    if (closing) return;
    setClosing(table.id);
    setMessages(({ [table.id]: _, ...rest }) => rest);
    try {
      const { data, error, response } = await api.POST("/api/tables/{id}/visit/close", {
        params: { path: { id: table.id }, query },
        headers: props.context.csrfToken ? { "x-csrf-token": props.context.csrfToken } : {},
      });
      if (data) {
        setVisits((all) => ({ ...all, [table.id]: data as FloorVisit }));
        setMessages((all) => ({
          ...all,
          [table.id]: fill(m.closed, { total: price(data.totalCents) }),
        }));
        return;
      }
      const body = (error as {
        error?: { code?: string; message?: string; details?: { path: string }[] };
      })?.error;
      let text = fill(m.closeFailed, { reason: body?.message ?? response.statusText });
      if (body?.code === "visit_has_open_orders") {
        const open = (body.details ?? []).map((d) => d.path.replace(/^orders\./, ""));
        text = fill(m.stillOpen, {
          orders: open.map((id) => {
            const order = props.orders.find((o) => o.id === id);
            return fill(m.orderIs, {
              id: id.slice(-5),
              status: order ? sm[`status_${order.status}` as keyof StaffMessages] : "?",
            });
          }).join(", "),
        });
      }
      setMessages((all) => ({ ...all, [table.id]: text }));
      reread(table.id);
    } catch {
      setMessages((all) => ({ ...all, [table.id]: m.offlineClose }));
    } finally {
      setClosing(null);
    }
  }

  return (
    <ul class="floor-tables">
      {props.tables.map((table) => {
        const visit = visits[table.id];
        const open = visit?.status === "open" ? visit : null;
        const active = props.orders.filter((o) =>
          o.tableId === table.id && o.status !== "delivered"
        ).length;
        return (
          <li
            key={table.id}
            class={`floor-table ${open ? "occupied" : "free"}`}
            data-table={table.id}
          >
            <h3>{fill(sm.table, { n: table.number })}</h3>
            <p class="floor-table-state">
              {open ? m.occupied : m.free} · {fill(m.seats, { n: table.seats })}
            </p>
            {open && (
              <p class="floor-bill" data-bill-total={open.totalCents}>
                {fill(m.bill, { total: price(open.totalCents) })}
              </p>
            )}
            {active > 0 && <p class="floor-open">{fill(m.openOrders, { n: active })}</p>}
            {open && (
              <button
                type="button"
                class="close-table"
                disabled={closing !== null || !props.online}
                title={props.online ? undefined : m.offlineClose}
                onClick={() => close(table)}
              >
                {closing === table.id ? m.closing : m.closeTable}
              </button>
            )}
            {messages[table.id] && (
              <p class="floor-table-message" role="status">{messages[table.id]}</p>
            )}
          </li>
        );
      })}
    </ul>
  );
}
