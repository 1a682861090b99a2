/**
 * Device tokens (GET/POST/DELETE /api/auth/tokens): create one for a role, a label and a
 * lifetime, shown ONCE with a ready device link (`<public URL>/<the role's page>?access_token=`)
 * and its QR code for a tablet to scan; list them and revoke.
 */
import { useState } from "preact/hooks";
import { fill, formatDate } from "../../lib/pages/format.ts";
import { adminMessages } from "../../lib/pages/admin_messages.ts";
import { staffMessages } from "../../lib/pages/staff_messages.ts";
import type { StaffPageSession } from "../../lib/pages/staff_session.ts";
import type { Role } from "../../lib/auth/roles.ts";
import type { components } from "../../lib/client/schema.d.ts";
import { adminClient, problemOf, staffQuery } from "./api.ts";
import { ConfirmButton } from "./confirm.tsx";
import { grantableRoles } from "./roles.ts";

type Token = components["schemas"]["DeviceToken"];
type Message = { kind: "ok" | "error"; text: string } | null;
/** What the page's device-link route answers (routes/pages/admin/people.tsx). */
export interface DeviceLink {
  url: string;
  svg: string;
}

const LIFETIME_DAYS = [1, 7, 30, 90, 365] as const;
/** Where the page's route makes a device link and its QR code from a new token. */
export const DEVICE_LINK_PATH = "/admin/people/device-link";

export function DeviceTokens(props: { session: StaffPageSession; tokens: Token[] }) {
  const { session } = props;
  const m = adminMessages(session.lang);
  const s = staffMessages(session.lang);
  const [tokens, setTokens] = useState(props.tokens);
  const [created, setCreated] = useState<{ token: string; link: DeviceLink } | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const [busy, setBusy] = useState(false);
  const query = staffQuery(session);
  const nameOf = (token: Token) => token.label || m.unlabelled;

  async function refresh() {
    const { data } = await adminClient(session).GET("/api/auth/tokens", { params: { query } });
    if (data) setTokens(data.tokens);
  }

  async function create(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const fields = new FormData(form);
    const label = String(fields.get("label") ?? "").trim();
    setBusy(true);
    setMessage(null);
    setCreated(null);
    try {
      const { data, error, response } = await adminClient(session).POST("/api/auth/tokens", {
        params: { query },
        body: {
          role: fields.get("role") as Role,
          ...(label ? { label } : {}),
          ttlSeconds: Number(fields.get("days")) * 24 * 60 * 60,
        },
      });
      if (!data) {
        setMessage({ kind: "error", text: fill(m.failed, { reason: problemOf(error, response) }) });
        return;
      }
      const linked = await fetch(`${DEVICE_LINK_PATH}${location.search}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(session.csrfToken ? { "x-csrf-token": session.csrfToken } : {}),
        },
        body: JSON.stringify({ token: data.token }),
      });
      if (!linked.ok) {
        const reason = problemOf(await linked.json().catch(() => undefined), linked);
        setMessage({ kind: "error", text: fill(m.failed, { reason }) });
        return;
      }
      setCreated({ token: data.token, link: await linked.json() });
      form.reset();
      await refresh();
    } catch {
      setMessage({ kind: "error", text: m.offline });
    } finally {
      setBusy(false);
    }
  }

  async function revoke(token: Token) {
    setBusy(true);
    setMessage(null);
    try {
      const { error, response } = await adminClient(session).DELETE("/api/auth/tokens/{id}", {
        params: { path: { id: token.id }, query },
      });
      if (!response.ok) {
        setMessage({ kind: "error", text: fill(m.failed, { reason: problemOf(error, response) }) });
        return;
      }
      setTokens((all) => all.filter((t) => t.id !== token.id));
      setMessage({ kind: "ok", text: fill(m.revoked, { label: nameOf(token) }) });
    } catch {
      setMessage({ kind: "error", text: m.offline });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="device-tokens" aria-labelledby="devices-title">
      <h2 id="devices-title">{m.deviceTokens}</h2>
      <p class="hint">{m.deviceIntro}</p>
      <p class={`outcome ${message?.kind ?? ""}`} role="status">{message?.text ?? ""}</p>
      <form class="new-device" onSubmit={create}>
        <fieldset>
          <legend>{m.newDevice}</legend>
          <label for="device-role">{m.role}</label>
          <select id="device-role" name="role">
            {grantableRoles(session.role).map((role) => (
              <option key={role} value={role} selected={role === "kitchen"}>
                {s[`role_${role}`]}
              </option>
            ))}
          </select>
          <label for="device-label">{m.label}</label>
          <input id="device-label" name="label" type="text" maxLength={100} />
          <label for="device-days">{m.lifetime}</label>
          <select id="device-days" name="days">
            {LIFETIME_DAYS.map((days) => (
              <option key={days} value={days} selected={days === 90}>
                {m[`lifetime_${days}`]}
              </option>
            ))}
          </select>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? m.creating : m.create}
          </button>
        </fieldset>
      </form>
      {created && (
        <div class="created-token" role="region" aria-labelledby="created-token-title">
          <h3 id="created-token-title">{m.tokenOnce}</h3>
          <div class="qr" role="img" aria-label={m.deviceQr}>
            {/* Our own server's SVG (lib/catalog/qr.ts): paths only, no script or style. */}
            <div dangerouslySetInnerHTML={{ __html: created.link.svg }} />
          </div>
          <label for="created-link">{m.deviceLink}</label>
          <input id="created-link" type="text" readOnly value={created.link.url} />
          <p>
            <a class="device-link" href={created.link.url}>{created.link.url}</a>
          </p>
          <label for="created-token">{m.deviceToken}</label>
          <input id="created-token" type="text" readOnly value={created.token} />
          <button type="button" onClick={() => setCreated(null)}>{m.done}</button>
        </div>
      )}
      {tokens.length === 0 && <p class="empty">{m.noDevices}</p>}
      <ul class="devices">
        {tokens.map((token) => (
          <li key={token.id} data-token={token.id}>
            <div class="who">
              <strong>{nameOf(token)}</strong>
              <span>{s[`role_${token.role}`]}</span>
              <span class="muted">
                {fill(m.createdOn, { date: formatDate(token.createdAt, session.lang) })}
              </span>
              <span class={token.active ? "muted" : "expired"}>
                {token.active
                  ? fill(m.expiresOn, { date: formatDate(token.expiresAt, session.lang) })
                  : m.expired}
              </span>
            </div>
            <ConfirmButton
              class="remove"
              label={m.revoke}
              name={`${m.revoke} · ${nameOf(token)}`}
              disabled={busy}
              question={fill(m.revokeConfirm, { label: nameOf(token) })}
              yes={m.revokeYes}
              no={m.cancel}
              onConfirm={() => revoke(token)}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}
