/**
 * Starting the mirror's worker for a process. By default in a Deno Worker (`worker_entry.ts`),
 * so that its JSON work and Postgres I/O never take the request thread's time; that needs a store
 * the Worker can open a second time (a file or a remote store), so with `:memory:` it runs on the
 * calling thread.
 */
import type { Config } from "../config.ts";
import { type MirrorHandle, MirrorRunner } from "./runner.ts";

/** What the Worker is started with. */
export interface StartMessage {
  type: "start";
  kvPath: string | undefined;
  databaseUrl: string;
  retentionMs: number;
  batchChanges: number;
}

/**
 * Starts the mirror for this process as `config.mirrorWorker` says, or returns null when there
 * is nothing to run here (no `DATABASE_URL`, or the worker is external).
 */
export function startMirror(kv: Deno.Kv, config: Config): MirrorHandle | null {
  if (!config.databaseUrl || config.mirrorWorker === "external") return null;
  const options = {
    databaseUrl: config.databaseUrl,
    retentionMs: config.eventRetentionMs,
    batchChanges: config.mirrorBatchChanges,
  };
  if (config.mirrorWorker === "inline" || config.kvPath === ":memory:") {
    return new MirrorRunner(kv, options).start();
  }
  const worker = new Worker(new URL("./worker_entry.ts", import.meta.url), {
    type: "module",
    name: "seatserve-mirror",
  });
  const message: StartMessage = { type: "start", kvPath: config.kvPath, ...options };
  worker.postMessage(message);
  let closing: Promise<void> | null = null;
  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(finish, 5_000);
        function finish() {
          clearTimeout(timer);
          worker.terminate();
          resolve();
        }
        worker.onmessage = (event) => {
          if (event.data?.type === "stopped") finish();
        };
        worker.postMessage({ type: "stop" });
      });
      return closing;
    },
  };
}
