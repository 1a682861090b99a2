/**
 * An audit entry's `before` and `after` as rows a person can read (pure): for a change, the
 * fields that differ; for a creation or a removal, every field there was. Values are shown as
 * text, long ones shortened.
 */

/** One field of a diff; `before` or `after` absent when it had none. */
export interface DiffRow {
  field: string;
  before?: string;
  after?: string;
}

const MAX_VALUE = 120;

function text(value: unknown): string {
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  return shown.length > MAX_VALUE ? `${shown.slice(0, MAX_VALUE - 1)}…` : shown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The rows of an entry's change (empty when it carries neither side). */
export function auditDiff(before: unknown, after: unknown): DiffRow[] {
  if (before === undefined && after === undefined) return [];
  if (!isRecord(before) && !isRecord(after)) {
    return [{
      field: "",
      ...(before !== undefined ? { before: text(before) } : {}),
      ...(after !== undefined ? { after: text(after) } : {}),
    }];
  }
  const old = isRecord(before) ? before : {};
  const now = isRecord(after) ? after : {};
  const fields = [...new Set([...Object.keys(old), ...Object.keys(now)])];
  return fields
    .filter((field) => JSON.stringify(old[field]) !== JSON.stringify(now[field]))
    .map((field) => ({
      field,
      ...(field in old ? { before: text(old[field]) } : {}),
      ...(field in now ? { after: text(now[field]) } : {}),
    }));
}
