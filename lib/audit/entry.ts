/**
 * Audit entries: who did what to which thing, when, in which request. Each entry is its own key
 * (`auditEntryKey`), set in the same atomic op as the change it describes, so a change is never
 * committed without its entry nor an entry without its change. Entries expire after the
 * configured retention, so the log cannot grow forever. The feed carries a copy of each location's
 * entries (a change of type `audit`) to the Postgres mirror: in the change's own feed entry where
 * it writes one, else in a feed entry of its own in the same op. Pure apart from the op.
 */
import type { CredentialKind, Principal } from "../auth/principal.ts";
import type { Role } from "../auth/roles.ts";
import { newId } from "../kv/ids.ts";
import { auditEntryKey } from "../kv/keys.ts";
import { appendToFeed } from "../feed/feed.ts";

/** The scope of security events that belong to no location (a token nobody can place). */
export const AUDIT_SERVER_SCOPE = "server";

/**
 * Who acted: a staff credential, `anonymous` for security events before anyone is known, or
 * `operator`: a command-line task run on the server by whoever may read its store (`deno task
 * keys:rotate`).
 */
export interface AuditActor {
  type: CredentialKind | "anonymous" | "operator";
  id: string;
  role?: Role;
  label?: string;
  email?: string;
}

/** The thing an entry is about. */
export interface AuditTarget {
  type: string;
  id: string;
}

/** One audit entry as stored. */
export interface AuditEntry {
  id: string;
  /** The location, or `AUDIT_SERVER_SCOPE`. */
  scope: string;
  at: string;
  actor: AuditActor;
  action: string;
  target: AuditTarget;
  before?: unknown;
  after?: unknown;
  requestId: string;
  /** For a summary of many events (refused credentials per address and minute): how many. */
  count?: number;
  /** The client's address, for security events. */
  address?: string;
  /** When the entry expires (ms since the epoch), for an import to re-apply. */
  expiresAt: number;
}

/** What every audited change needs from its request: who acts, which request, how long to keep. */
export interface AuditContext {
  actor: AuditActor;
  requestId: string;
  /** How long the entry is kept. */
  retentionMs: number;
  /** How long the feed entry that carries it to the mirror is kept (`eventRetentionMs`). */
  feedRetentionMs: number;
}

/** What a change says about itself. */
export interface AuditEvent {
  action: string;
  target: AuditTarget;
  before?: unknown;
  after?: unknown;
  address?: string;
}

/** Larger before/after values are left out (an entry records small things, not documents). */
const MAX_SNAPSHOT_BYTES = 4096;

/** The actor of a principal: its credential kind and id, role, label and email. */
export function auditActor(principal: Principal): AuditActor {
  return {
    type: principal.via,
    id: principal.id,
    role: principal.role,
    label: principal.label,
    ...(principal.email ? { email: principal.email } : {}),
  };
}

/** An audit context for a principal's request. */
export function auditContext(
  principal: Principal,
  request: { requestId: string; retentionMs: number; feedRetentionMs: number },
): AuditContext {
  return { actor: auditActor(principal), ...request };
}

/** A new entry of `scope` for `event`, by the context's actor, now. */
export function newAuditEntry(
  context: AuditContext,
  scope: string,
  event: AuditEvent,
  now = new Date(),
): AuditEntry {
  return {
    id: newId(),
    scope,
    at: now.toISOString(),
    actor: context.actor,
    action: event.action,
    target: event.target,
    ...small("before", event.before),
    ...small("after", event.after),
    requestId: context.requestId,
    ...(event.address ? { address: event.address } : {}),
    expiresAt: now.getTime() + context.retentionMs,
  };
}

/** Adds the entry to `op`, with its expiry. */
export function addAuditEntry(op: Deno.AtomicOperation, entry: AuditEntry): Deno.AtomicOperation {
  return op.set(auditEntryKey(entry.scope, entry.id), entry, {
    expireIn: Math.max(1, entry.expiresAt - Date.now()),
  });
}

/** The feed change that carries an entry to the mirror. */
export function auditChange(entry: AuditEntry): { type: "audit"; entry: AuditEntry } {
  return { type: "audit", entry };
}

/**
 * Adds the entry to `op` with a feed entry of its own carrying it (for changes that write no
 * feed entry otherwise: device tokens, the staff directory, sessions).
 */
export function addAuditWithFeed(
  op: Deno.AtomicOperation,
  kv: Deno.Kv,
  entry: AuditEntry,
  feedRetentionMs: number,
): Deno.AtomicOperation {
  addAuditEntry(op, entry);
  return appendToFeed(op, kv, entry.scope, {
    at: entry.at,
    retentionMs: feedRetentionMs,
    others: [auditChange(entry)],
  });
}

/** Adds a new entry for `event` to `op`, with its own feed entry; for writers that need nothing back. */
export function audit(
  op: Deno.AtomicOperation,
  kv: Deno.Kv,
  context: AuditContext,
  event: AuditEvent & { scope: string },
): Deno.AtomicOperation {
  const { scope, ...rest } = event;
  return addAuditWithFeed(op, kv, newAuditEntry(context, scope, rest), context.feedRetentionMs);
}

/** An entry as `GET /api/audit` shows it. */
export function auditView(entry: AuditEntry) {
  const { scope: _, expiresAt: __, ...view } = entry;
  return view;
}

function small(name: "before" | "after", value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  return JSON.stringify(value).length <= MAX_SNAPSHOT_BYTES ? { [name]: value } : {};
}
