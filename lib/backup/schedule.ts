/**
 * Scheduled backups of a local store: with `BACKUP_DIR` set, `Deno.cron` takes one every 5
 * minutes, keeps the newest `BACKUP_KEEP`, and runs `BACKUP_AFTER` (if set) with the file's path as
 * its argument, to copy it off the machine. A failure is logged and shown in `/api/health`.
 */
import type { Config } from "../config.ts";
import { type BackupKey, importBackupKeys } from "./encryption.ts";
import { createBackup, isLocalStorePath, pruneBackups } from "./snapshot.ts";

/** What `/api/health` says about backups. */
export interface BackupStatus {
  state: "off" | "pending" | "ok" | "failed";
  /** When the last backup ended (either way). */
  lastAt: string | null;
  lastFile: string | null;
  lastSuccessAt: string | null;
  error: string | null;
}

/** The backups of this process: status, one run, and the schedule. */
export class BackupSchedule {
  #config: Config;
  #running: Promise<BackupStatus> | null = null;
  #keys: Promise<BackupKey[]> | null = null;
  status: BackupStatus;

  constructor(config: Config) {
    this.#config = config;
    this.status = {
      state: this.enabled ? "pending" : "off",
      lastAt: null,
      lastFile: null,
      lastSuccessAt: null,
      error: null,
    };
  }

  /** Whether scheduled backups are on: `BACKUP_DIR` set and a local store. */
  get enabled(): boolean {
    return this.#config.backupDir !== null && isLocalStorePath(this.#config.kvPath);
  }

  /** Registers the 5-minute cron (once per process); false when backups are off. */
  start(): boolean {
    if (!this.enabled) {
      if (this.#config.backupDir) {
        console.warn("BACKUP_DIR is set but the store is not a local file: no scheduled backups");
      }
      return false;
    }
    Deno.cron("seatserve backup", "*/5 * * * *", async () => {
      await this.run();
    });
    return true;
  }

  /** Takes one backup now (a run already going is shared); never throws, records the outcome. */
  run(): Promise<BackupStatus> {
    this.#running ??= this.#run().finally(() => this.#running = null);
    return this.#running;
  }

  async #run(): Promise<BackupStatus> {
    const { backupDir, backupKeep, backupAfter, kvPath } = this.#config;
    let file: string | null = null;
    try {
      if (!backupDir || !isLocalStorePath(kvPath)) throw new Error("backups are off");
      this.#keys ??= importBackupKeys(this.#config.backupKeys);
      const [key] = await this.#keys;
      file = (await createBackup(kvPath, { dir: backupDir, level: 3, key })).path;
      await pruneBackups(backupDir, backupKeep);
      if (backupAfter) await runAfter(backupAfter, file);
      const at = new Date().toISOString();
      this.status = { state: "ok", lastAt: at, lastFile: file, lastSuccessAt: at, error: null };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`backup failed: ${message}`);
      this.status = {
        ...this.status,
        state: "failed",
        lastAt: new Date().toISOString(),
        lastFile: file,
        error: message,
      };
    }
    return this.status;
  }
}

/** Runs `command` through the shell with `file` as its argument; throws on a non-zero exit. */
async function runAfter(command: string, file: string): Promise<void> {
  const { code, stderr } = await new Deno.Command("sh", {
    args: ["-c", `${command} "$1"`, "seatserve-backup-after", file],
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    const said = new TextDecoder().decode(stderr).trim().slice(-500);
    throw new Error(`BACKUP_AFTER exited with ${code}${said ? `: ${said}` : ""}`);
  }
}
