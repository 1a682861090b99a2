/**
 * Reading the audit log, and the security events that are entries of their own (sign-in,
 * sign-out, refused credentials) rather than part of a change's commit.
 */
import { encodeTime } from "ulid";
import { sha256Hex } from "../kv/ids.ts";
import { auditEntryKey, auditPrefix } from "../kv/keys.ts";
import {
  addAuditEntry,
  addAuditWithFeed,
  AUDIT_SERVER_SCOPE,
  type AuditContext,
  type AuditEntry,
  type AuditEvent,
  newAuditEntry,
} from "./entry.ts";

/** Filters and paging of an audit listing. */
export interface AuditQuery {
  /** An action (`order.transition`), or the part before its dot (`order`) for all of them. */
  action?: string;
  /** An actor's id or email. */
  actor?: string;
  /** Entries older than this id (the previous page's cursor). */
  before?: string;
  limit: number;
}

/** Most entries one page reads while filtering; past that it answers what it found, with a cursor. */
const SCAN_BUDGET = 5000;

/**
 * A scope's entries newest first, and the id to continue from (null on the last page). With
 * filters, a page may hold fewer than `limit` entries and still have a cursor (it read as far
 * as its budget allows).
 */
export async function listAuditEntries(
  kv: Deno.Kv,
  scope: string,
  query: AuditQuery,
): Promise<{ entries: AuditEntry[]; next: string | null }> {
  const prefix = auditPrefix(scope);
  const selector: Deno.KvListSelector = query.before
    ? { prefix, end: auditEntryKey(scope, query.before) }
    : { prefix };
  const entries: AuditEntry[] = [];
  let scanned = 0;
  let lastId: string | null = null;
  for await (
    const entry of kv.list<AuditEntry>(selector, {
      reverse: true,
      batchSize: Math.min(500, query.limit + 1),
    })
  ) {
    if (entries.length === query.limit) return { entries, next: lastId };
    scanned++;
    lastId = entry.value.id;
    if (matches(entry.value, query)) entries.push(entry.value);
    if (scanned >= SCAN_BUDGET) return { entries, next: lastId };
  }
  return { entries, next: null };
}

function matches(entry: AuditEntry, query: AuditQuery): boolean {
  if (
    query.action && entry.action !== query.action && !entry.action.startsWith(`${query.action}.`)
  ) {
    return false;
  }
  if (query.actor && entry.actor.id !== query.actor && entry.actor.email !== query.actor) {
    return false;
  }
  return true;
}

/** Records a security event on its own (a failed sign-in), with a location's feed entry. */
export async function recordAuditEvent(
  kv: Deno.Kv,
  context: AuditContext,
  scope: string,
  event: AuditEvent,
): Promise<AuditEntry> {
  const entry = newAuditEntry(context, scope, event);
  const op = kv.atomic();
  if (scope === AUDIT_SERVER_SCOPE) addAuditEntry(op, entry);
  else addAuditWithFeed(op, kv, entry, context.feedRetentionMs);
  await op.commit();
  return entry;
}

const WINDOW_MS = 60_000;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * Counts one event into its address's summary entry of this minute (refused credentials): one
 * entry per scope, action, address and minute, however many requests, so a flood cannot fill
 * the log. The entry's id starts with the minute's time, so it sorts with the others. These
 * summaries are server-wide and not carried by a location's feed (so not mirrored).
 */
export async function countAuditEvent(
  kv: Deno.Kv,
  context: AuditContext,
  scope: string,
  event: AuditEvent & { address: string; after?: Record<string, unknown> },
  now = new Date(),
): Promise<void> {
  const windowStart = Math.floor(now.getTime() / WINDOW_MS) * WINDOW_MS;
  const digest = sha256Hex(`${event.action}\n${event.address}\n${windowStart}`);
  let tail = "";
  for (let i = 0; i < 16; i++) tail += CROCKFORD[parseInt(digest.slice(i * 2, i * 2 + 2), 16) & 31];
  const id = encodeTime(windowStart, 10) + tail;
  const key = auditEntryKey(scope, id);
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await kv.get<AuditEntry>(key);
    const fresh = newAuditEntry(context, scope, event, now);
    const entry: AuditEntry = current.value
      ? { ...current.value, at: now.toISOString(), count: (current.value.count ?? 1) + 1 }
      : { ...fresh, id, count: 1, after: { ...(event.after ?? {}), firstAt: fresh.at } };
    const ok = await addAuditEntry(kv.atomic().check(current), entry).commit();
    if (ok.ok) return;
  }
}
