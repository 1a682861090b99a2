/**
 * `deno task export [FILE]`: every entry of the store at `SEATSERVE_KV_PATH` (a local file, a
 * denokv URL with `DENO_KV_ACCESS_TOKEN`, or Deploy's KV) as NDJSON, gzipped when FILE ends in
 * `.gz` (default: `BACKUP_DIR`/seatserve-export-<time>.ndjson.gz). A local store is exported from
 * a consistent copy (one moment); a remote one is listed in batches, each its own snapshot, so
 * stop writes to it first for one moment. The file's path is the last line of stdout.
 */
import { exportToFile } from "../lib/backup/ndjson.ts";
import { isLocalStorePath, snapshotStore } from "../lib/backup/snapshot.ts";
import { configFromEnv } from "../lib/config.ts";
import { argPath } from "./progress.ts";

const config = configFromEnv();
const stamp = new Date().toISOString().replace(/[-:.]/g, "");
const dir = config.backupDir ?? "./backups";
const path = Deno.args[0]
  ? argPath(Deno.args[0])
  : `${dir.replace(/\/+$/, "")}/seatserve-export-${stamp}.ndjson.gz`;
let copy: string | null = null;
try {
  await Deno.mkdir(path.replace(/[^/]*$/, "") || ".", { recursive: true });
  let source = config.kvPath;
  if (isLocalStorePath(source)) {
    copy = `${path}.copy.sqlite`;
    await snapshotStore(source, copy);
    source = copy;
  }
  const kv = await Deno.openKv(source);
  try {
    const count = await exportToFile(kv, path, {
      onProgress: (n) => n % 20000 === 0 && console.error(`export: ${n} entries`),
    });
    console.error(`exported ${count} entries`);
  } finally {
    kv.close();
  }
  console.log(path);
} catch (error) {
  console.error(`export failed: ${error instanceof Error ? error.message : error}`);
  Deno.exitCode = 1;
} finally {
  if (copy) {
    for (const suffix of ["", "-wal", "-shm"]) await Deno.remove(copy + suffix).catch(() => {});
  }
}
