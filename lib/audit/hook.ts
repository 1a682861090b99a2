/**
 * An audit entry as a writer's `addToCommit` hook: the entry is set in the writer's own atomic op
 * and rides its feed entry to the mirror (for writers that build their op themselves: settings,
 * line readiness, service requests, visits).
 */
import type { ChangeData } from "../feed/feed.ts";
import {
  addAuditEntry,
  auditChange,
  type AuditContext,
  type AuditEvent,
  newAuditEntry,
} from "./entry.ts";

/** A hook that writes the audit entry `event(...)` describes, in `scope` (the location). */
export function auditHook<A extends unknown[]>(
  context: AuditContext,
  scope: string,
  event: (...args: A) => AuditEvent,
): (op: Deno.AtomicOperation, ...args: A) => ChangeData[] {
  return (op, ...args) => {
    const entry = newAuditEntry(context, scope, event(...args));
    addAuditEntry(op, entry);
    return [auditChange(entry)];
  };
}
