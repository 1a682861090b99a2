/**
 * The staff directory (GET/PUT/DELETE /api/staff): add someone by email with a role, change a
 * role, remove someone. Only the roles the signed-in role may grant are offered, and people
 * who outrank it are shown but not changeable; the server's refusal is shown if tried anyway.
 */
import { useState } from "preact/hooks";
import { fill, formatDate } from "../../lib/pages/format.ts";
import { adminMessages } from "../../lib/pages/admin_messages.ts";
import { staffMessages } from "../../lib/pages/staff_messages.ts";
import type { StaffPageSession } from "../../lib/pages/staff_session.ts";
import { outranksOrEquals, type Role } from "../../lib/auth/roles.ts";
import type { components } from "../../lib/client/schema.d.ts";
import { adminClient, problemOf, staffQuery } from "./api.ts";
import { ConfirmButton } from "./confirm.tsx";
import { grantableRoles } from "./roles.ts";

type Member = components["schemas"]["StaffMember"];
type Message = { kind: "ok" | "error"; text: string } | null;

export function StaffDirectory(props: { session: StaffPageSession; staff: Member[] }) {
  const { session } = props;
  const m = adminMessages(session.lang);
  const s = staffMessages(session.lang);
  const [staff, setStaff] = useState(props.staff);
  const [message, setMessage] = useState<Message>(null);
  const [busy, setBusy] = useState(false);
  const roles = grantableRoles(session.role);
  const query = staffQuery(session);
  const roleName = (role: Role) => s[`role_${role}`];

  async function put(email: string, role: Role, name: string | undefined, done: string) {
    setBusy(true);
    setMessage(null);
    try {
      const { data, error, response } = await adminClient(session).PUT("/api/staff/{email}", {
        params: { path: { email }, query },
        body: { role, ...(name ? { name } : {}) },
      });
      if (!data) {
        setMessage({ kind: "error", text: fill(m.failed, { reason: problemOf(error, response) }) });
        return false;
      }
      setStaff((all) =>
        [...all.filter((x) => x.email !== data.email), data]
          .sort((a, b) => a.email.localeCompare(b.email))
      );
      setMessage({
        kind: "ok",
        text: fill(done, { email: data.email, role: roleName(data.role) }),
      });
      return true;
    } catch {
      setMessage({ kind: "error", text: m.offline });
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function add(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const fields = new FormData(form);
    const email = String(fields.get("email") ?? "").trim();
    const name = String(fields.get("name") ?? "").trim() || undefined;
    if (await put(email, fields.get("role") as Role, name, m.personAdded)) form.reset();
  }

  async function changeRole(event: Event, member: Member) {
    event.preventDefault();
    const fields = new FormData(event.currentTarget as HTMLFormElement);
    await put(member.email, fields.get("role") as Role, member.name, m.personChanged);
  }

  async function remove(email: string) {
    setBusy(true);
    setMessage(null);
    try {
      const { error, response } = await adminClient(session).DELETE("/api/staff/{email}", {
        params: { path: { email }, query },
      });
      if (!response.ok) {
        setMessage({ kind: "error", text: fill(m.failed, { reason: problemOf(error, response) }) });
        return;
      }
      setStaff((all) => all.filter((x) => x.email !== email));
      setMessage({ kind: "ok", text: fill(m.personRemoved, { email }) });
    } catch {
      setMessage({ kind: "error", text: m.offline });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="staff-directory" aria-labelledby="staff-title">
      <h2 id="staff-title">{m.staffDirectory}</h2>
      <p class="hint">{m.staffIntro}</p>
      <p class={`outcome ${message?.kind ?? ""}`} role="status">{message?.text ?? ""}</p>
      <form class="add-person" onSubmit={add}>
        <fieldset>
          <legend>{m.addPerson}</legend>
          <label for="person-email">{m.email}</label>
          <input id="person-email" name="email" type="email" autocomplete="off" required />
          <label for="person-name">{m.name}</label>
          <input id="person-name" name="name" type="text" maxLength={100} />
          <label for="person-role">{m.role}</label>
          <select id="person-role" name="role">
            {roles.map((role) => (
              <option key={role} value={role} selected={role === "server"}>
                {roleName(role)}
              </option>
            ))}
          </select>
          <button type="submit" class="primary" disabled={busy}>{m.addPerson}</button>
        </fieldset>
      </form>
      {staff.length === 0 && <p class="empty">{m.noStaff}</p>}
      <ul class="people">
        {staff.map((member) => {
          const mine = outranksOrEquals(session.role, member.role);
          return (
            <li key={member.email} data-email={member.email}>
              <div class="who">
                <strong>{member.email}</strong>
                {member.name && <span>{member.name}</span>}
                <span class="muted">
                  {fill(m.addedAt, { date: formatDate(member.addedAt, session.lang) })}
                </span>
              </div>
              <form class="change-role" onSubmit={(e) => changeRole(e, member)}>
                <label for={`role-${member.email}`} class="visually-hidden">
                  {fill(m.changeRoleOf, { email: member.email })}
                </label>
                <select id={`role-${member.email}`} name="role" disabled={!mine}>
                  {(mine ? roles : [member.role]).map((role) => (
                    <option key={role} value={role} selected={role === member.role}>
                      {roleName(role)}
                    </option>
                  ))}
                </select>
                <button
                  type="submit"
                  disabled={busy || !mine}
                  aria-label={`${m.save} · ${member.email}`}
                >
                  {m.save}
                </button>
              </form>
              <ConfirmButton
                class="remove"
                label={m.remove}
                name={`${m.remove} · ${member.email}`}
                disabled={busy || !mine}
                question={fill(m.removePersonConfirm, { email: member.email })}
                yes={m.removeYes}
                no={m.cancel}
                onConfirm={() => remove(member.email)}
              />
            </li>
          );
        })}
      </ul>
    </section>
  );
}
