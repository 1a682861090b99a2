/**
 * Backups of a local store: a consistent copy (`VACUUM INTO` on a read-only connection, in a
 * worker), gzip-compressed, headed by a one-line JSON manifest, in a file whose name carries the
 * format version and the time. A restore checks the manifest and the copy's SHA-256 and puts the
 * copy in place only where there is no store yet, or when forced. Versionstamps are kept, so feed
 * positions, `Last-Event-ID`s and feed cursors stay valid across a backup and restore.
 *
 * With a backup key (`BACKUP_KEY`), the compressed file is then encrypted (`encryption.ts`,
 * AES-256-GCM, `.enc` appended to its name); a restore decrypts it with whichever configured key
 * it names, and refuses a wrong key or a changed byte before anything is put in place.
 *
 * Only a local (SQLite) store can be copied so; other stores move with export and import
 * (`ndjson.ts`).
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { type BackupKey, decryptStream, encryptStream, isEncrypted } from "./encryption.ts";
import type { SnapshotReply, SnapshotRequest } from "./snapshot_worker.ts";

/** The version of the backup file format this code writes and reads. */
export const BACKUP_FORMAT_VERSION = 1;

const NAME_PATTERN = /^seatserve-backup-v(\d+)-(\d{8}T\d{9}Z)\.sqlite\.gz(?:\.enc)?$/;

/** The first line of a backup file. */
export interface BackupManifest {
  format: "seatserve-backup";
  version: number;
  createdAt: string;
  /** The store's path as the backup saw it. */
  source: string;
  /** Entries in the copy. */
  entries: number;
  /** Size and SHA-256 (hex) of the uncompressed copy. */
  bytes: number;
  sha256: string;
}

/** A finished backup. */
export interface BackupResult {
  path: string;
  /** Size of the compressed file. */
  fileBytes: number;
  manifest: BackupManifest;
}

/** Reports progress in bytes of the uncompressed copy. */
export type Progress = (done: number, total: number) => void;

/** Whether `path` names a local store file (not `:memory:`, not a URL, not Deploy's default). */
export function isLocalStorePath(path: string | undefined): path is string {
  return path !== undefined && path !== ":memory:" && !/^https?:\/\//i.test(path);
}

/** Copies the live store at `source` to `target` as one moment of it; returns its entry count. */
export function snapshotStore(source: string, target: string): Promise<number> {
  const worker = new Worker(new URL("./snapshot_worker.ts", import.meta.url), { type: "module" });
  return new Promise<number>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<SnapshotReply>) => {
      worker.terminate();
      if (event.data.ok) resolve(event.data.entries);
      else reject(new Error(`snapshot of ${source} failed: ${event.data.error}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`snapshot of ${source} failed: ${event.message}`));
    };
    worker.postMessage({ source, target } satisfies SnapshotRequest);
  });
}

/**
 * Writes a backup of the local store at `source` into `options.dir` (created when missing) and
 * returns it. The file appears under its final name only once complete.
 */
export async function createBackup(
  source: string,
  options: {
    dir: string;
    onProgress?: Progress;
    now?: Date;
    level?: number;
    /** Encrypt the file with this key (the newest of `BACKUP_KEY`). */
    key?: BackupKey;
  },
): Promise<BackupResult> {
  if (!isLocalStorePath(source)) {
    throw new Error(`only a local store file can be backed up so (got ${source ?? "Deploy KV"})`);
  }
  await Deno.stat(source); // a clear error when there is no store there
  await Deno.mkdir(options.dir, { recursive: true });
  const now = options.now ?? new Date();
  const name = `seatserve-backup-v${BACKUP_FORMAT_VERSION}-${stamp(now)}.sqlite.gz` +
    (options.key ? ".enc" : "");
  const path = `${options.dir.replace(/\/+$/, "")}/${name}`;
  const copy = `${path}.copy`;
  const partial = `${path}.partial`;
  try {
    const entries = await snapshotStore(source, copy);
    const { size } = await Deno.stat(copy);
    const manifest: BackupManifest = {
      format: "seatserve-backup",
      version: BACKUP_FORMAT_VERSION,
      createdAt: now.toISOString(),
      source,
      entries,
      bytes: size,
      sha256: await sha256File(copy),
    };
    let done = 0;
    options.onProgress?.(0, size);
    const plain = async function* () {
      yield new TextEncoder().encode(JSON.stringify(manifest) + "\n");
      for await (const chunk of createReadStream(copy, { highWaterMark: 1 << 20 })) {
        done += (chunk as Uint8Array).length;
        options.onProgress?.(done, size);
        yield chunk;
      }
    };
    const gzip = createGzip({ level: options.level ?? 6 });
    const out = createWriteStream(partial, { mode: 0o600 });
    if (options.key) await pipeline(plain, gzip, encryptStream(options.key), out);
    else await pipeline(plain, gzip, out);
    await Deno.rename(partial, path);
    return { path, fileBytes: (await Deno.stat(path)).size, manifest };
  } finally {
    await removeIfThere(copy);
    await removeIfThere(partial);
  }
}

/**
 * Reads a backup file's manifest (its first line) without unpacking the rest; an encrypted file
 * needs its key among `keys`.
 */
export async function readManifest(
  file: string,
  keys: readonly BackupKey[] = [],
): Promise<BackupManifest> {
  const gunzip = createGunzip();
  const source = await compressedStream(file, keys);
  source.on("error", (error: Error) => gunzip.destroy(error));
  let text = "";
  try {
    for await (const chunk of source.pipe(gunzip)) {
      text += new TextDecoder().decode(chunk as Uint8Array, { stream: true });
      const end = text.indexOf("\n");
      if (end >= 0) return parseManifest(text.slice(0, end));
      if (text.length > 64 * 1024) break;
    }
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  throw new Error(`${file} is not a SeatServe backup (no manifest line)`);
}

/** A backup file's gzip stream: the file itself, or what it decrypts to. */
async function compressedStream(file: string, keys: readonly BackupKey[]): Promise<Readable> {
  if (!await isEncryptedFile(file)) return createReadStream(file);
  return Readable.from(decryptStream(keys, file)(createReadStream(file)), { objectMode: false });
}

/** Whether `file` is an encrypted backup (by its first bytes). */
export async function isEncryptedFile(file: string): Promise<boolean> {
  const handle = await Deno.open(file);
  try {
    const head = new Uint8Array(16);
    const n = await handle.read(head);
    return isEncrypted(head.subarray(0, n ?? 0));
  } finally {
    handle.close();
  }
}

/** Whether there is no store at `path`, or one with no entries. */
export function isStoreEmpty(path: string): boolean {
  try {
    if (Deno.statSync(path).size === 0) return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'kv'")
      .get();
    if (!table) return true;
    return db.prepare("SELECT 1 AS one FROM kv LIMIT 1").get() === undefined;
  } finally {
    db.close();
  }
}

/**
 * Puts the backup `file` in place as the store at `target`, which must be empty (or absent)
 * unless `force`. The copy is checked against its manifest before anything at `target` is
 * touched. No process may have the target store open meanwhile.
 */
export async function restoreBackup(
  file: string,
  target: string,
  options: {
    force?: boolean;
    onProgress?: Progress;
    /** The keys an encrypted backup may need (`BACKUP_KEY`, all of them). */
    keys?: readonly BackupKey[];
  } = {},
): Promise<BackupManifest> {
  if (!isLocalStorePath(target)) {
    throw new Error(`a backup restores into a local store file; use import for ${target}`);
  }
  if (!options.force && !isStoreEmpty(target)) {
    throw new Error(`${target} holds a store already; restore refuses it without --force`);
  }
  await Deno.mkdir(target.replace(/[^/]*$/, "") || ".", { recursive: true });
  const temporary = `${target}.restoring`;
  try {
    const manifest = await unpack(file, temporary, options);
    const db = new DatabaseSync(temporary, { readOnly: true });
    try {
      const row = db.prepare("SELECT count(*) AS n FROM kv").get() as { n: number };
      if (Number(row.n) !== manifest.entries) {
        throw new Error(`${file}: ${row.n} entries, the manifest says ${manifest.entries}`);
      }
    } finally {
      db.close();
    }
    if (!options.force && !isStoreEmpty(target)) {
      throw new Error(`${target} was written meanwhile; restore refuses it without --force`);
    }
    for (const suffix of ["-wal", "-shm"]) await removeIfThere(target + suffix);
    await Deno.rename(temporary, target);
    return manifest;
  } finally {
    await removeIfThere(temporary);
  }
}

/** Backup files in `dir`, oldest first. */
export async function listBackups(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && NAME_PATTERN.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const time = (name: string) => NAME_PATTERN.exec(name)![2];
  return names.sort((a, b) => (time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : 0))
    .map((name) => `${dir.replace(/\/+$/, "")}/${name}`);
}

/** Deletes all but the newest `keep` backups in `dir`; returns the deleted paths. */
export async function pruneBackups(dir: string, keep: number): Promise<string[]> {
  const all = await listBackups(dir);
  const old = all.slice(0, Math.max(0, all.length - keep));
  for (const path of old) await removeIfThere(path);
  return old;
}

async function unpack(
  file: string,
  target: string,
  options: { onProgress?: Progress; keys?: readonly BackupKey[] },
) {
  const { onProgress } = options;
  const hash = createHash("sha256");
  let manifest: BackupManifest | null = null;
  let head = new Uint8Array(0);
  let written = 0;
  const out = createWriteStream(target, { mode: 0o600 });
  await pipeline(
    await compressedStream(file, options.keys ?? []),
    createGunzip(),
    async function* (source: AsyncIterable<Uint8Array>) {
      for await (const chunk of source) {
        let body = chunk;
        if (!manifest) {
          const joined = new Uint8Array(head.length + chunk.length);
          joined.set(head);
          joined.set(chunk, head.length);
          const end = joined.indexOf(0x0a);
          if (end < 0) {
            if (joined.length > 64 * 1024) throw new Error(`${file}: no manifest line`);
            head = joined;
            continue;
          }
          manifest = parseManifest(new TextDecoder().decode(joined.subarray(0, end)));
          body = joined.subarray(end + 1);
        }
        hash.update(body);
        written += body.length;
        onProgress?.(written, manifest.bytes);
        yield body;
      }
    },
    out,
  );
  const found = manifest as BackupManifest | null;
  if (!found) throw new Error(`${file} is not a SeatServe backup (no manifest line)`);
  const sha256 = hash.digest("hex");
  if (written !== found.bytes || sha256 !== found.sha256) {
    throw new Error(`${file} is damaged: its copy does not match its manifest`);
  }
  return found;
}

function parseManifest(line: string): BackupManifest {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(line);
  } catch {
    throw new Error("not a SeatServe backup (its first line is not a manifest)");
  }
  if (manifest?.format !== "seatserve-backup") {
    throw new Error("not a SeatServe backup (its first line is not a manifest)");
  }
  if (manifest.version > BACKUP_FORMAT_VERSION) {
    throw new Error(
      `backup format v${manifest.version} is newer than this server reads (v${BACKUP_FORMAT_VERSION})`,
    );
  }
  return manifest;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Uint8Array);
  }
  return hash.digest("hex");
}

async function removeIfThere(path: string): Promise<void> {
  await Deno.remove(path).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, "");
}
