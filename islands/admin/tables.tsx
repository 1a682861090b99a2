/**
 * The tables page's island: every table with its QR code (the API's SVG) and guest link; add
 * a table, change its seats and status, remove it, give it a new QR code (after a
 * confirmation: the printed one stops working).
 */
import { useState } from "preact/hooks";
import { fill } from "../../lib/pages/format.ts";
import { adminMessages } from "../../lib/pages/admin_messages.ts";
import type { StaffPageSession } from "../../lib/pages/staff_session.ts";
import type { components } from "../../lib/client/schema.d.ts";
import { adminClient, problemOf, staffQuery } from "./api.ts";
import { ConfirmButton } from "./confirm.tsx";

type Table = components["schemas"]["Table"];
type Status = Table["status"];
const STATUSES: Status[] = ["available", "occupied", "reserved", "out_of_service"];

export interface AdminTablesProps {
  session: StaffPageSession;
  tables: Table[];
}

type Message = { kind: "ok" | "error"; text: string } | null;

export default function AdminTables(props: AdminTablesProps) {
  const { session } = props;
  const m = adminMessages(session.lang);
  const [tables, setTables] = useState(props.tables);
  const [message, setMessage] = useState<Message>(null);
  const [busy, setBusy] = useState(false);
  const query = staffQuery(session);
  const locationParam = session.locationQuery
    ? `&location=${encodeURIComponent(session.locationQuery)}`
    : "";
  const replace = (table: Table) =>
    setTables((all) =>
      all.map((t) => t.id === table.id ? table : t).sort((a, b) => a.number - b.number)
    );

  /** Runs one API call, showing its outcome; the answer's data, or null. */
  async function run<T>(
    call: () => Promise<{ data?: T; error?: unknown; response: Response }>,
    done: string | ((data: T) => string),
  ): Promise<T | null> {
    setBusy(true);
    setMessage(null);
    try {
      const { data, error, response } = await call();
      if (!response.ok) {
        setMessage({ kind: "error", text: fill(m.failed, { reason: problemOf(error, response) }) });
        return null;
      }
      setMessage({ kind: "ok", text: typeof done === "string" ? done : done(data as T) });
      return (data ?? true) as T;
    } catch {
      setMessage({ kind: "error", text: m.offline });
      return null;
    } finally {
      setBusy(false);
    }
  }

  async function add(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const fields = new FormData(form);
    const body = { number: Number(fields.get("number")), seats: Number(fields.get("seats")) };
    const api = adminClient(session);
    const table = await run(
      () => api.POST("/api/tables", { params: { query }, body }),
      (t) => fill(m.added, { n: t.number }),
    );
    if (table) {
      setTables((all) => [...all, table].sort((a, b) => a.number - b.number));
      form.reset();
    }
  }

  async function change(event: Event, table: Table) {
    event.preventDefault();
    const fields = new FormData(event.currentTarget as HTMLFormElement);
    const api = adminClient(session);
    const changed = await run(
      () =>
        api.PATCH("/api/tables/{id}", {
          params: { path: { id: table.id }, query },
          body: { seats: Number(fields.get("seats")), status: fields.get("status") as Status },
        }),
      (t) => fill(m.changed, { n: t.number }),
    );
    if (changed) replace(changed);
  }

  async function rotate(table: Table) {
    const api = adminClient(session);
    const rotated = await run(
      () =>
        api.POST("/api/tables/{id}/rotate-token", {
          params: { path: { id: table.id }, query },
        }),
      (t) => fill(m.rotated, { n: t.number }),
    );
    if (rotated) replace(rotated);
  }

  async function remove(table: Table) {
    const api = adminClient(session);
    const gone = await run(
      () => api.DELETE("/api/tables/{id}", { params: { path: { id: table.id }, query } }),
      m.removed,
    );
    if (gone) setTables((all) => all.filter((t) => t.id !== table.id));
  }

  return (
    <div class="admin-tables">
      <p class={`outcome ${message?.kind ?? ""}`} role="status">{message?.text ?? ""}</p>
      <form class="add-table" onSubmit={add}>
        <fieldset>
          <legend>{m.addTable}</legend>
          <label for="new-table-number">{m.number}</label>
          <input id="new-table-number" name="number" type="number" min={1} max={9999} required />
          <label for="new-table-seats">{m.seats}</label>
          <input id="new-table-seats" name="seats" type="number" min={1} max={100} required />
          <button type="submit" class="primary" disabled={busy}>{m.add}</button>
        </fieldset>
      </form>
      {tables.length === 0 && <p class="empty">{m.noTables}</p>}
      <ul class="table-cards">
        {tables.map((table) => {
          const name = fill(m.tableN, { n: table.number });
          return (
            <li key={table.id} class="table-card" data-table={table.id}>
              <h2>{name}</h2>
              <img
                class="qr"
                src={`/api/tables/${table.id}/qr.svg?v=${
                  table.token?.slice(0, 12)
                }${locationParam}`}
                alt={fill(m.qrOf, { n: table.number })}
                width={160}
                height={160}
              />
              <p class="guest-url">
                <span>{m.guestUrl}:</span> <a href={table.qrUrl}>{table.qrUrl}</a>
              </p>
              <form class="edit-table" onSubmit={(e) => change(e, table)}>
                <label for={`seats-${table.id}`}>{m.seats}</label>
                <input
                  id={`seats-${table.id}`}
                  name="seats"
                  type="number"
                  min={1}
                  max={100}
                  defaultValue={String(table.seats)}
                  required
                />
                <label for={`status-${table.id}`}>{m.status}</label>
                <select id={`status-${table.id}`} name="status">
                  {STATUSES.map((s) => (
                    <option key={s} value={s} selected={s === table.status}>
                      {m[`table_${s}`]}
                    </option>
                  ))}
                </select>
                <button type="submit" disabled={busy} aria-label={`${m.change} · ${name}`}>
                  {m.change}
                </button>
              </form>
              <div class="actions">
                <ConfirmButton
                  class="rotate"
                  label={m.rotate}
                  name={`${m.rotate} · ${name}`}
                  disabled={busy}
                  question={fill(m.rotateConfirm, { n: table.number })}
                  yes={m.rotateYes}
                  no={m.cancel}
                  onConfirm={() => rotate(table)}
                />
                <ConfirmButton
                  class="remove"
                  label={m.remove}
                  name={`${m.remove} · ${name}`}
                  disabled={busy}
                  question={fill(m.removeTableConfirm, { n: table.number })}
                  yes={m.removeYes}
                  no={m.cancel}
                  onConfirm={() => remove(table)}
                />
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
