/**
 * `deno task import FILE [--force]`: loads an export into the store at `SEATSERVE_KV_PATH` (a
 * local file, a denokv URL with `DENO_KV_ACCESS_TOKEN`, or Deploy's KV). Refuses a store that
 * holds entries unless `--force`. The change feed is re-appended with new versionstamps: streams
 * and feed consumers start a new epoch (docs/architecture.md).
 */
import { importStore, readExportLines, storeIsEmpty } from "../lib/backup/ndjson.ts";
import { configFromEnv } from "../lib/config.ts";
import { openStore } from "../lib/kv/store.ts";
import { argPath } from "./progress.ts";

const args = Deno.args.filter((arg) => arg !== "--force");
if (args.length !== 1) {
  console.error("usage: deno task import FILE [--force]");
  Deno.exit(2);
}
const config = configFromEnv();
const kv = await openStore(config);
try {
  if (!Deno.args.includes("--force") && !(await storeIsEmpty(kv))) {
    throw new Error(
      `${config.kvPath ?? "the store"} holds entries; import refuses it without --force`,
    );
  }
  const result = await importStore(kv, readExportLines(argPath(args[0])), {
    retentionMs: config.eventRetentionMs,
    onProgress: (n) => n % 20000 === 0 && console.error(`import: ${n} entries`),
  });
  console.error(
    `imported ${result.entries} entries and ${result.feedEntries} feed entries ` +
      `(${result.expired} already expired, left out)`,
  );
  console.log(config.kvPath ?? "Deno Deploy KV");
} catch (error) {
  console.error(`import failed: ${error instanceof Error ? error.message : error}`);
  Deno.exitCode = 1;
} finally {
  kv.close();
}
