/**
 * The mirror's Postgres clients (npm `postgres`), with a guard for one fault of that library
 * under Deno: when a connection drops while a write is pending, it can call `write` on its
 * already released socket from a `setImmediate` callback, an exception that no promise carries
 * and that would otherwise end the process. The guard turns exactly that exception (thrown from
 * the library's connection module) into a logged warning: the query itself already failed with
 * the connection, and the mirror retries it.
 */
import postgres from "postgres";

let guarded = false;

/** Options of a client. */
export interface ClientOptions {
  /** Shown in `pg_stat_activity.application_name`. */
  name: string;
  /** Most connections (default 4). */
  max?: number;
  /** Longest statement, in ms (default 60 s). */
  statementTimeoutMs?: number;
  /**
   * Commit without waiting for the WAL flush (the mirror's writer). Safe there: a batch's rows
   * and its cursor are one transaction, so a Postgres crash that loses the last commits loses
   * both, and the mirror writes those batches again.
   */
  asyncCommit?: boolean;
}

/** A Postgres client for the mirror or analytics. */
export function postgresClient(url: string, options: ClientOptions): postgres.Sql {
  guardDroppedConnections();
  return postgres(url, {
    max: options.max ?? 4,
    connect_timeout: 5,
    idle_timeout: 60,
    onnotice: () => {},
    connection: {
      application_name: options.name,
      statement_timeout: options.statementTimeoutMs ?? 60_000,
      // The mirror's statements take one large JSON parameter: a custom plan would parse it
      // while planning, a generic one only when it runs.
      plan_cache_mode: "force_generic_plan",
      ...(options.asyncCommit ? { synchronous_commit: "off" } : {}),
    },
  });
}

/** Installs the guard once per isolate (the main thread and each Worker). */
export function guardDroppedConnections(): void {
  if (guarded) return;
  guarded = true;
  globalThis.addEventListener("error", (event) => {
    const error = (event as ErrorEvent).error;
    const stack = error instanceof Error ? error.stack ?? "" : "";
    if (/\/postgres\/[^/]+\/src\/connection\.js/.test(stack) && error instanceof TypeError) {
      console.warn(
        `postgres client: a write on a closed connection was dropped (${error.message})`,
      );
      event.preventDefault();
    }
  });
}
