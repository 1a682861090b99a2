/**
 * `deno task mirror`: the mirror's worker as a process of its own, for API processes that run
 * with `SEATSERVE_MIRROR_WORKER=external` (on Deno Deploy's KV or a denokv server, where the
 * store is shared: set `SEATSERVE_KV_PATH` to it). Follows every location into `DATABASE_URL`
 * until SIGINT or SIGTERM.
 */
import { configFromEnv } from "../lib/config.ts";
import { MirrorRunner } from "../lib/mirror/runner.ts";

const config = configFromEnv();
if (!config.databaseUrl) {
  console.error("Set DATABASE_URL to the Postgres of the analytics mirror.");
  Deno.exit(2);
}
const kv = await Deno.openKv(config.kvPath);
const runner = new MirrorRunner(kv, {
  databaseUrl: config.databaseUrl,
  retentionMs: config.eventRetentionMs,
  batchChanges: config.mirrorBatchChanges,
}).start();
console.log(`mirror following ${config.kvPath ?? "Deno Deploy KV"} into Postgres`);
const stop = Promise.withResolvers<void>();
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop.resolve);
await stop.promise;
await runner.close();
kv.close();
