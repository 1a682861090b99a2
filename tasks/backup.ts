/**
 * `deno task backup`: a consistent copy of the local store at `SEATSERVE_KV_PATH` as a compressed
 * (with `BACKUP_KEY`, encrypted), versioned file in `BACKUP_DIR` (default `./backups`). Progress
 * goes to stderr; the file's path is the last line of stdout. The server may keep running.
 */
import { importBackupKeys } from "../lib/backup/encryption.ts";
import { createBackup } from "../lib/backup/snapshot.ts";
import { configFromEnv } from "../lib/config.ts";
import { progressBar } from "./progress.ts";

const config = configFromEnv();
const bar = progressBar("backup");
try {
  const started = performance.now();
  const [key] = await importBackupKeys(config.backupKeys);
  const result = await createBackup(config.kvPath!, {
    dir: config.backupDir ?? "./backups",
    onProgress: bar.update,
    key,
  });
  bar.stop();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(
    `${result.manifest.entries} entries, ${result.manifest.bytes} bytes copied, ` +
      `${result.fileBytes} bytes written in ${seconds} s` +
      (key ? `, encrypted with key ${key.id}` : " (not encrypted: no BACKUP_KEY)"),
  );
  console.log(result.path);
} catch (error) {
  bar.stop();
  console.error(`backup failed: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
