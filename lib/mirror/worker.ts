/**
 * Starting the mirror's worker for a process. By default in a Deno Worker (`worker_entry.ts`),
 * so that its JSON work and Postgres I/O never take the request thread's time; that needs a store
 * the Worker can open a second time (a file or a remote store), so with `:memory:` it runs on the
 * calling thread.
 */
import type { Config } from "../config.ts";
import { type MirrorHandle, MirrorRunner } from "./runner.ts";
import { publishStatus } from "./status.ts";

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
  const message: StartMessage = { type: "start", kvPath: config.kvPath, ...options };
  let closing: Promise<void> | null = null;
  let worker = spawn();
  /** Starts the Worker; one that fails is logged and started again (its cursor is in Postgres). */
  function spawn(): Worker {
    const started = new Worker(new URL("./worker_entry.ts", import.meta.url), {
      type: "module",
      name: "seatserve-mirror",
    });
    started.onmessage = (event) => {
      if (event.data?.type !== "status" || closing) return;
      publishStatus(kv, event.data.status).catch((error) => {
        console.error("postgres mirror: could not publish its status", error);
      });
    };
    started.onerror = (event) => {
      event.preventDefault();
      console.error("postgres mirror: its worker failed; starting it again", event.message);
      started.terminate();
      setTimeout(() => {
        if (!closing) worker = spawn();
      }, 1_000);
    };
    started.postMessage(message);
    return started;
  }
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
