/**
 * `deno task backup`: a consistent copy of the local store at `SEATSERVE_KV_PATH` as a compressed,
 * versioned file in `BACKUP_DIR` (default `./backups`). Progress goes to stderr; the file's path is
 * the last line of stdout. The server may keep running meanwhile.
 */
import { createBackup } from "../lib/backup/snapshot.ts";
import { configFromEnv } from "../lib/config.ts";
import { progressBar } from "./progress.ts";

const config = configFromEnv();
const bar = progressBar("backup");
try {
  const started = performance.now();
  const result = await createBackup(config.kvPath!, {
    dir: config.backupDir ?? "./backups",
    onProgress: bar.update,
  });
  bar.stop();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(
    `${result.manifest.entries} entries, ${result.manifest.bytes} bytes copied, ` +
      `${result.fileBytes} bytes written in ${seconds} s`,
  );
  console.log(result.path);
} catch (error) {
  bar.stop();
  console.error(`backup failed: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
