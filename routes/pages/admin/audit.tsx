/**
 * `GET /admin/audit`: the audit log, newest first, filtered by action (a kind or an exact
 * action) and actor, a page at a time ("older" follows the cursor). Server-rendered only: the
 * filters are a plain GET form and paging a link, so it needs no script.
 */
import type { Context } from "hono";
import type { AuditEntry } from "../../../lib/audit/entry.ts";
import { listAuditEntries } from "../../../lib/audit/log.ts";
import { sharedAssets } from "../../../lib/assets/assets.ts";
import { type AdminMessages, adminMessages } from "../../../lib/pages/admin_messages.ts";
import { auditDiff } from "../../../lib/pages/audit_diff.ts";
import { fill, formatDate } from "../../../lib/pages/format.ts";
import { staffMessages } from "../../../lib/pages/staff_messages.ts";
import type { StaffPageSession } from "../../../lib/pages/staff_session.ts";
import type { AppEnv, StaffEnv } from "../../state.ts";
import { renderPage } from "../render.tsx";
import { staffSession } from "../staff_page.tsx";
import { AdminFrame } from "./frame.tsx";
import { pathOf } from "./path.ts";

/** The kinds of action the filter offers (an action's part before its dot). */
const KINDS = [
  "auth",
  "device_token",
  "location",
  "menu_item",
  "order",
  "service_request",
  "settings",
  "staff",
  "table",
  "visit",
  "webhook",
] as const;
const PAGE_SIZE = 50;

/** A query parameter kept only when it is short enough to be one (else ignored). */
function param(c: Context, name: string, max: number): string {
  const value = c.req.query(name)?.trim() ?? "";
  return value.length <= max ? value : "";
}

export async function auditPage(c: Context<StaffEnv>): Promise<Response> {
  const { kv, config } = c.get("services");
  const session = staffSession(c);
  const m = adminMessages(session.lang);
  const action = param(c, "action", 64);
  const actor = param(c, "actor", 254);
  const cursor = param(c, "cursor", 64);
  const page = await listAuditEntries(kv, c.get("location").id, {
    action: action || undefined,
    actor: actor || undefined,
    before: cursor || undefined,
    limit: PAGE_SIZE,
  });
  const keep = (extra: Record<string, string>) => {
    const query = new URLSearchParams({
      ...(session.locationQuery ? { location: session.locationQuery } : {}),
      ...(action ? { action } : {}),
      ...(actor ? { actor } : {}),
      ...extra,
    });
    return `/admin/audit${query.size ? `?${query}` : ""}`;
  };
  const clear = session.locationQuery
    ? `/admin/audit?location=${encodeURIComponent(session.locationQuery)}`
    : "/admin/audit";
  const { styles } = (await sharedAssets(config.assetsDir)).page("admin");
  const kinds: string[] = [...KINDS];
  if (action && !kinds.includes(action)) kinds.push(action);
  return renderPage(
    c as unknown as Context<AppEnv>,
    <AdminFrame
      session={session}
      section="audit"
      path={pathOf(c)}
      title={staffMessages(session.lang).admin_audit}
      assets={{ styles }}
    >
      <div class="admin-audit">
        <p class="hint">{m.auditIntro}</p>
        <form class="audit-filters" method="get" action="/admin/audit">
          {session.locationQuery && (
            <input type="hidden" name="location" value={session.locationQuery} />
          )}
          <label for="audit-action">{m.filterAction}</label>
          <select id="audit-action" name="action">
            <option value="" selected={!action}>{m.anyAction}</option>
            {kinds.map((kind) => (
              <option key={kind} value={kind} selected={kind === action}>
                {(m as Record<string, string>)[`kind_${kind}`] ?? kind}
              </option>
            ))}
          </select>
          <label for="audit-actor">{m.filterActor}</label>
          <input id="audit-actor" name="actor" type="text" value={actor} maxLength={254} />
          <button type="submit" class="primary">{m.filter}</button>
          {(action || actor) && <a href={clear}>{m.clearFilters}</a>}
        </form>
        {page.entries.length === 0 && <p class="empty">{m.noEntries}</p>}
        <ol class="audit-entries">
          {page.entries.map((entry) => (
            <Entry key={entry.id} entry={entry} session={session} m={m} />
          ))}
        </ol>
        {(cursor || page.next) && (
          <nav class="audit-paging" aria-label={m.auditLog}>
            {cursor && <a href={keep({})}>{m.newest}</a>}
            {page.next && (
              <a rel="next" class="older" href={keep({ cursor: page.next })}>{m.older}</a>
            )}
          </nav>
        )}
      </div>
    </AdminFrame>,
  );
}

function actorName(entry: AuditEntry): string {
  const { actor } = entry;
  return actor.email ?? actor.label ?? actor.id;
}

function Entry(props: { entry: AuditEntry; session: StaffPageSession; m: AdminMessages }) {
  const { entry, session, m } = props;
  const s = staffMessages(session.lang);
  const rows = auditDiff(entry.before, entry.after);
  return (
    <li class="audit-entry" data-entry={entry.id} data-action={entry.action}>
      <p class="audit-line">
        <time datetime={entry.at}>{formatDate(entry.at, session.lang)}</time>
        <span class="actor" data-actor={entry.actor.email ?? entry.actor.id}>
          {actorName(entry)}
          {entry.actor.role && ` (${s[`role_${entry.actor.role}`]})`}
        </span>
        <code class="action">{entry.action}</code>
        <span class="target">
          {entry.target.type} <code>{entry.target.id}</code>
        </span>
      </p>
      {entry.count !== undefined && (
        <p class="muted">
          {fill(m.summary, { count: entry.count, address: entry.address ?? "?" })}
        </p>
      )}
      {rows.length > 0 && (
        <table class="audit-diff">
          <caption class="visually-hidden">{m.changes}</caption>
          <thead>
            <tr>
              <th scope="col">{m.field}</th>
              <th scope="col">{m.before}</th>
              <th scope="col">{m.after}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.field}>
                <th scope="row">{row.field || m.changes}</th>
                <td class="before">{row.before ?? m.nothing}</td>
                <td class="after">{row.after ?? m.nothing}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}
