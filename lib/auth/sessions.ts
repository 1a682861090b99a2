/**
 * Staff sessions for browsers: the cookie holds only an opaque random id; the session itself
 * (who, which location, its CSRF token, when it expires) is a record in the store, keyed by the
 * id's hash so that a copy of the store opens no session. Sessions expire absolutely and after
 * an idle time, and end at once when revoked.
 */
import type { Principal } from "./principal.ts";
import { addAuditWithFeed, type AuditEntry } from "../audit/entry.ts";
import { randomToken, sha256Hex } from "../kv/ids.ts";
import { retryOnConflict } from "../kv/retry.ts";
import { sessionByStaffKey, sessionKey } from "../kv/keys.ts";

/** What is stored of a session. */
export interface SessionRecord {
  /** Who the session stands for (without its own session fields). */
  principal: Omit<Principal, "session">;
  /** The location the session was opened for. */
  locationId: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  /** How long the session lives without use, in ms. */
  idleMs: number;
}

/** An audit entry to write with a session change, and how long its feed entry is kept. */
export interface SessionAudit {
  entry: AuditEntry;
  feedRetentionMs: number;
}

/** How long sessions live. */
export interface SessionLifetime {
  /** Absolute lifetime, in ms. */
  ttlMs: number;
  /** Lifetime without use, in ms. */
  idleMs: number;
}

/** `lastSeenAt` is written at most this often, so a busy screen does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Opens a session for a principal; returns the id for the cookie. A staff member's session is
 * indexed under their email (so removing them ends it), and `audit` (the sign-in) is written in
 * the same op.
 */
export async function createSession(
  kv: Deno.Kv,
  request: {
    principal: Principal;
    locationId: string;
    lifetime: SessionLifetime;
    audit?: SessionAudit;
  },
): Promise<{ id: string; record: SessionRecord }> {
  const id = randomToken(32);
  const now = Date.now();
  const { session: _, ...principal } = request.principal;
  const record: SessionRecord = {
    principal,
    locationId: request.locationId,
    csrfToken: randomToken(24),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + request.lifetime.ttlMs,
    idleMs: request.lifetime.idleMs,
  };
  const idHash = sha256Hex(id);
  const expireIn = request.lifetime.ttlMs;
  const op = kv.atomic().set(sessionKey(idHash), record, { expireIn });
  if (principal.email) {
    op.set(sessionByStaffKey(request.locationId, principal.email, idHash), {
      expiresAt: record.expiresAt,
    }, { expireIn });
  }
  if (request.audit) {
    addAuditWithFeed(op, kv, request.audit.entry, request.audit.feedRetentionMs);
  }
  await op.commit();
  return { id, record };
}

/** The live session with this id, or null (unknown, expired, idle too long or revoked). */
export async function readSession(kv: Deno.Kv, id: string): Promise<SessionRecord | null> {
  if (id.length > 100) return null;
  const key = sessionKey(sha256Hex(id));
  const entry = await kv.get<SessionRecord>(key);
  const record = entry.value;
  const now = Date.now();
  if (!record || record.expiresAt <= now || now - record.lastSeenAt > record.idleMs) return null;
  if (now - record.lastSeenAt > TOUCH_EVERY_MS) {
    // Checked, so a revocation racing this touch is not undone.
    await kv.atomic().check(entry).set(key, { ...record, lastSeenAt: now }, {
      expireIn: record.expiresAt - now,
    }).commit();
  }
  return record;
}

/**
 * Ends a session: its cookie is refused from then on, even if replayed. `audit` (the sign-out)
 * is written in the same op. False when there was no such session.
 */
export async function revokeSession(
  kv: Deno.Kv,
  id: string,
  audit?: SessionAudit,
): Promise<boolean> {
  if (id.length > 100) return false;
  const key = sessionKey(sha256Hex(id));
  // A lost race is a touch (read again) or another sign-out (then nothing is left to end).
  return await retryOnConflict(async () => {
    const entry = await kv.get<SessionRecord>(key);
    if (!entry.value) return false;
    const op = kv.atomic().check(entry).delete(key);
    const email = entry.value.principal.email;
    if (email) op.delete(sessionByStaffKey(entry.value.locationId, email, sha256Hex(id)));
    if (audit) addAuditWithFeed(op, kv, audit.entry, audit.feedRetentionMs);
    return (await op.commit()).ok ? true : null;
  });
}
