/**
 * Runs in a worker: copies a live local store with `VACUUM INTO` on a read-only connection, one
 * statement and so one moment of the store, off the thread that serves requests (`node:sqlite`
 * is synchronous). Posts `{ ok, entries }` or `{ ok: false, error }`.
 */
import { DatabaseSync } from "node:sqlite";

/** What the worker is asked. */
export interface SnapshotRequest {
  source: string;
  target: string;
}

/** What it answers. */
export type SnapshotReply = { ok: true; entries: number } | { ok: false; error: string };

/** The worker's own scope (this file is type-checked with the main program's globals). */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<SnapshotRequest>) => void) | null;
  postMessage(message: SnapshotReply): void;
  close(): void;
};

scope.onmessage = (event) => {
  const { source, target } = event.data;
  let reply: SnapshotReply;
  try {
    const db = new DatabaseSync(source, { readOnly: true });
    try {
      db.prepare("VACUUM INTO ?").run(target);
    } finally {
      db.close();
    }
    const copy = new DatabaseSync(target, { readOnly: true });
    try {
      const row = copy.prepare("SELECT count(*) AS n FROM kv").get() as { n: number };
      reply = { ok: true, entries: Number(row.n) };
    } finally {
      copy.close();
    }
  } catch (error) {
    reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  scope.postMessage(reply);
  scope.close();
};
