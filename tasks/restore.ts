/**
 * `deno task restore FILE [--force]`: puts a backup in place as the local store at
 * `SEATSERVE_KV_PATH`. Refuses a store that holds entries unless `--force`. Stop the server first.
 */
import { importBackupKeys } from "../lib/backup/encryption.ts";
import { restoreBackup } from "../lib/backup/snapshot.ts";
import { configFromEnv } from "../lib/config.ts";
import { argPath, progressBar } from "./progress.ts";

const args = Deno.args.filter((arg) => arg !== "--force");
const force = Deno.args.includes("--force");
if (args.length !== 1) {
  console.error("usage: deno task restore FILE [--force]");
  Deno.exit(2);
}
const config = configFromEnv();
const bar = progressBar("restore");
try {
  const manifest = await restoreBackup(argPath(args[0]), config.kvPath!, {
    force,
    onProgress: bar.update,
    keys: await importBackupKeys(config.backupKeys),
  });
  bar.stop();
  console.error(`restored ${manifest.entries} entries taken ${manifest.createdAt}`);
  console.log(config.kvPath);
} catch (error) {
  bar.stop();
  console.error(`restore failed: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
