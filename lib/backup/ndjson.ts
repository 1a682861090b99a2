/**
 * Export and import as NDJSON, to move a store between kinds of store (a local file, Deno Deploy's
 * KV, a denokv server). The first line is a header; each further line is one entry:
 * `{"k":[key parts],"v":value}`, each key part and the value tagged with their type, so that
 * every value survives exactly: `{"b":base64}` a `Uint8Array` (the JSON bytes of orders, feed
 * entries, idempotency records), `{"u":"123"}` a `Deno.KvU64`, `{"s":base64}` anything else
 * V8-serialized as KV itself does (objects, `Date`, `bigint`, `Map`...).
 *
 * What cannot move is the versionstamp. So an import writes everything but the change feed as
 * it is, and then re-appends each location's feed entries in their order, one commit each, with
 * new versionstamps (and the head bump). Consumers see a new epoch: a `Last-Event-ID` or feed
 * cursor from the old store names an entry that is not in the new feed (docs/architecture.md).
 * Entries that expire get their expiry again from the `expiresAt` their values carry; those
 * already past it are left out.
 */
import { Buffer } from "node:buffer";
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { deserialize, serialize } from "node:v8";
import { decodeJson } from "../kv/codec.ts";
import {
  eventKey,
  eventsHeadKey,
  EXPIRING_KEY_KINDS,
  FEED_HEAD_KEY_KIND,
  FEED_KEY_KIND,
  feedEpochKey,
  ORDER_CHANGES_KEY_KIND,
} from "../kv/keys.ts";
import { NO_VALUE } from "../kv/codec.ts";

/** The version of the export format this code writes and reads. */
export const EXPORT_FORMAT_VERSION = 1;

/** The first line of an export. */
export interface ExportHeader {
  format: "seatserve-export";
  version: number;
  exportedAt: string;
}

type TaggedPart = string | { n: string } | { i: string } | { t: boolean } | { b: string };
type TaggedValue = { b: string } | { u: string } | { s: string };

/** A key part as JSON: strings as they are, the other kinds tagged. */
export function encodeKeyPart(part: Deno.KvKeyPart): TaggedPart {
  if (typeof part === "string") return part;
  if (typeof part === "number") return { n: Object.is(part, -0) ? "-0" : String(part) };
  if (typeof part === "bigint") return { i: part.toString() };
  if (typeof part === "boolean") return { t: part };
  if (part instanceof Uint8Array) return { b: base64(part) };
  throw new Error(`not a KV key part: ${typeof part}`);
}

/** A key part from `encodeKeyPart`'s form. */
export function decodeKeyPart(part: TaggedPart): Deno.KvKeyPart {
  if (typeof part === "string") return part;
  if ("n" in part) return Number(part.n);
  if ("i" in part) return BigInt(part.i);
  if ("t" in part) return part.t;
  if ("b" in part) return fromBase64(part.b);
  throw new Error("not an exported key part");
}

/** A value as JSON, tagged with how KV stores it. */
export function encodeValue(value: unknown): TaggedValue {
  if (value instanceof Uint8Array) return { b: base64(value) };
  if (value instanceof Deno.KvU64) return { u: value.value.toString() };
  return { s: base64(serialize(value)) };
}

/** A value from `encodeValue`'s form. */
export function decodeValue(value: TaggedValue): unknown {
  if ("b" in value) return fromBase64(value.b);
  if ("u" in value) return new Deno.KvU64(BigInt(value.u));
  if ("s" in value) return deserialize(fromBase64(value.s));
  throw new Error("not an exported value");
}

/** Reports progress in entries. */
export type EntryProgress = (entries: number) => void;

/**
 * Writes every entry of `kv` as NDJSON lines (the header first) through `write`, in key order.
 * Returns the number of entries. Lists in batches, each a snapshot: export a copy of a live
 * local store (as `deno task export` does) to get one moment of it.
 */
export async function exportStore(
  kv: Deno.Kv,
  write: (line: string) => Promise<void> | void,
  options: { onProgress?: EntryProgress; now?: Date } = {},
): Promise<number> {
  const header: ExportHeader = {
    format: "seatserve-export",
    version: EXPORT_FORMAT_VERSION,
    exportedAt: (options.now ?? new Date()).toISOString(),
  };
  await write(JSON.stringify(header) + "\n");
  let count = 0;
  for await (const entry of kv.list({ prefix: [] }, { batchSize: 500 })) {
    // This store's versionstamps, meaningless in another (its import re-appends the feed).
    if (entry.key[0] === ORDER_CHANGES_KEY_KIND) continue;
    await write(
      JSON.stringify({ k: entry.key.map(encodeKeyPart), v: encodeValue(entry.value) }) + "\n",
    );
    if (++count % 1000 === 0) options.onProgress?.(count);
  }
  options.onProgress?.(count);
  return count;
}

/** What an import did. */
export interface ImportResult {
  /** Entries written as they were. */
  entries: number;
  /** Feed entries re-appended (new versionstamps). */
  feedEntries: number;
  /** Entries left out because their expiry had passed. */
  expired: number;
}

const BATCH_MUTATIONS = 500;
const BATCH_BYTES = 500 * 1024;

/**
 * Imports NDJSON `lines` (from `exportStore`) into `kv`, which should be empty: entries as they
 * were, feed entries re-appended per location in their order, expiries re-applied. No checks are
 * used, so it works within any store's limits.
 */
export async function importStore(
  kv: Deno.Kv,
  lines: AsyncIterable<string>,
  options: { retentionMs: number; now?: () => number; onProgress?: EntryProgress },
): Promise<ImportResult> {
  const now = options.now ?? Date.now;
  const result: ImportResult = { entries: 0, feedEntries: 0, expired: 0 };
  let op = kv.atomic();
  let mutations = 0;
  let bytes = 0;
  const flush = async () => {
    if (!mutations) return;
    const done = await op.commit();
    if (!done.ok) throw new Error("an import commit failed");
    op = kv.atomic();
    mutations = 0;
    bytes = 0;
  };
  let header: ExportHeader | null = null;
  let seen = 0;
  for await (const line of lines) {
    if (!line.trim()) continue;
    if (!header) {
      header = parseHeader(line);
      continue;
    }
    const { k, v } = JSON.parse(line) as { k: TaggedPart[]; v: TaggedValue };
    const key = k.map(decodeKeyPart);
    const value = decodeValue(v);
    const kind = key[0];
    if (++seen % 1000 === 0) options.onProgress?.(seen);
    // Head keys are rewritten by each re-appended entry; the epoch is set anew at the end.
    if (kind === FEED_HEAD_KEY_KIND || kind === feedEpochKey()[0]) continue;
    if (kind === ORDER_CHANGES_KEY_KIND) continue; // versionstamps of the old store

    let expireIn: number | undefined;
    if (typeof kind === "string" && EXPIRING_KEY_KINDS.includes(kind)) {
      const expiresAt = expiryOf(value, kind === FEED_KEY_KIND ? options.retentionMs : null);
      if (expiresAt !== null) {
        expireIn = expiresAt - now();
        if (expireIn <= 0) {
          result.expired++;
          continue;
        }
      }
    }
    if (kind === FEED_KEY_KIND) {
      // One commit per entry: an op holds one versionstamped key. Keys list in commit order.
      await flush();
      const locationId = key[1] as string;
      const appended = await kv.atomic()
        .set(eventKey(locationId, kv.commitVersionstamp()), value, { expireIn })
        .set(eventsHeadKey(locationId), NO_VALUE)
        .commit();
      if (!appended.ok) throw new Error("re-appending a feed entry failed");
      result.feedEntries++;
      continue;
    }
    const size = line.length;
    if (mutations + 1 > BATCH_MUTATIONS || bytes + size > BATCH_BYTES) await flush();
    op.set(key, value, expireIn === undefined ? undefined : { expireIn });
    mutations++;
    bytes += size;
    result.entries++;
  }
  await flush();
  if (!header) throw new Error("not a SeatServe export (no header line)");
  // A new epoch: ids and cursors of the old store name no place in this one.
  await kv.set(feedEpochKey(), crypto.randomUUID().replaceAll("-", "").slice(0, 12));
  options.onProgress?.(seen);
  return result;
}

/** Whether the store holds no entry at all. */
export async function storeIsEmpty(kv: Deno.Kv): Promise<boolean> {
  for await (const _ of kv.list({ prefix: [] }, { limit: 1 })) return false;
  return true;
}

/**
 * The expiry a value carries (`expiresAt`, ms or an ISO time), or for a feed entry written before
 * entries carried it, its time plus the retention; null when it carries none.
 */
function expiryOf(value: unknown, feedRetentionMs: number | null): number | null {
  let record: unknown = value;
  if (value instanceof Uint8Array) {
    try {
      record = decodeJson(value);
    } catch {
      return null;
    }
  }
  if (!record || typeof record !== "object") return null;
  const { expiresAt, at } = record as { expiresAt?: unknown; at?: unknown };
  if (typeof expiresAt === "number") return expiresAt;
  if (typeof expiresAt === "string" && !Number.isNaN(Date.parse(expiresAt))) {
    return Date.parse(expiresAt);
  }
  if (feedRetentionMs !== null && typeof at === "string" && !Number.isNaN(Date.parse(at))) {
    return Date.parse(at) + feedRetentionMs;
  }
  return null;
}

function parseHeader(line: string): ExportHeader {
  let header: ExportHeader;
  try {
    header = JSON.parse(line);
  } catch {
    throw new Error("not a SeatServe export (its first line is not a header)");
  }
  if (header?.format !== "seatserve-export") {
    throw new Error("not a SeatServe export (its first line is not a header)");
  }
  if (header.version > EXPORT_FORMAT_VERSION) {
    throw new Error(`export format v${header.version} is newer than this server reads`);
  }
  return header;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function fromBase64(text: string): Uint8Array {
  const buffer = Buffer.from(text, "base64");
  return new Uint8Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length));
}

/** Writes an export of `kv` to `path` (gzipped when it ends in `.gz`); returns the entry count. */
export async function exportToFile(
  kv: Deno.Kv,
  path: string,
  options: { onProgress?: EntryProgress } = {},
): Promise<number> {
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  const gzip = path.endsWith(".gz") ? createGzip({ level: 6 }) : null;
  const sink = gzip ?? out;
  const finished = gzip ? pipeline(gzip, out) : null;
  const write = (line: string) =>
    sink.write(line) ? undefined : new Promise<void>((resolve) => sink.once("drain", resolve));
  let count: number;
  try {
    count = await exportStore(kv, write, options);
  } finally {
    sink.end();
    if (finished) await finished;
    else {await new Promise<void>((resolve, reject) =>
        out.once("close", resolve).once("error", reject)
      );}
  }
  await Deno.rename(partial, path);
  return count;
}

/** The lines of an export file (gunzipped when it ends in `.gz`). */
export async function* readExportLines(path: string): AsyncGenerator<string> {
  const input = createReadStream(path);
  const source = path.endsWith(".gz") ? input.pipe(createGunzip()) : input;
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    input.destroy();
  }
}
