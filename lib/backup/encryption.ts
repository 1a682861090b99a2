/**
 * Encrypted backup files: AES-256-GCM with WebCrypto, in chunks, so a backup of any size streams
 * through in bounded memory and a single flipped byte anywhere is detected.
 *
 * The file:
 *
 *   SSENC1\n                         magic and format version
 *   {"cipher":"AES-256-GCM",...}\n   header (JSON: cipher, key id, chunk size)
 *   chunk*                           [12-byte nonce][4-byte big-endian length][ciphertext + tag]
 *
 * Every chunk has a fresh random nonce. Its additional data binds it to the file: the header's
 * bytes (so a changed header or key id fails), the chunk's index (no reordering or dropping) and
 * whether it is the last (a truncated file has no last chunk, and is refused). Nothing follows
 * the last chunk.
 *
 * Keys are 32 random bytes, configured base64 (`BACKUP_KEY`), several for rotation: the first
 * encrypts, all decrypt. A key's id is the start of its SHA-256, so the header says which key a
 * file needs without naming the key itself.
 */
import { createHash } from "node:crypto";

/** The first line of an encrypted backup, and its format version. */
export const ENCRYPTED_MAGIC = "SSENC1\n";
/** Plaintext bytes per chunk (the last may be shorter). */
const CHUNK_BYTES = 1 << 20;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAX_HEADER_BYTES = 1024;

/** A backup key: its id (from its hash) and the WebCrypto key. */
export interface BackupKey {
  id: string;
  key: CryptoKey;
}

/** The header line of an encrypted file. */
interface Header {
  cipher: "AES-256-GCM";
  keyId: string;
  chunkBytes: number;
}

/** The id of a raw key: the first 16 hex digits of its SHA-256. */
export function backupKeyId(raw: Uint8Array): string {
  return createHash("sha256").update(raw).digest("hex").slice(0, 16);
}

/** Decodes `BACKUP_KEY`'s base64 keys (comma-separated, newest first); throws on a bad one. */
export function decodeBackupKeys(text: string): Uint8Array[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean).map((encoded, i) => {
    let raw: Uint8Array;
    try {
      raw = Uint8Array.from(
        atob(encoded.replaceAll("-", "+").replaceAll("_", "/")),
        (c) => c.charCodeAt(0),
      );
    } catch {
      throw new Error(`BACKUP_KEY: key ${i + 1} is not base64`);
    }
    if (raw.length !== 32) {
      throw new Error(
        `BACKUP_KEY: key ${i + 1} is ${raw.length} bytes; AES-256 needs 32 ` +
          "(make one with `openssl rand -base64 32`)",
      );
    }
    return raw;
  });
}

/** WebCrypto keys for raw keys, in the same order. */
export function importBackupKeys(raws: readonly Uint8Array[]): Promise<BackupKey[]> {
  return Promise.all(raws.map(async (raw) => ({
    id: backupKeyId(raw),
    key: await crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]),
  })));
}

/** Whether `head` (a file's first bytes) starts an encrypted backup. */
export function isEncrypted(head: Uint8Array): boolean {
  return new TextDecoder().decode(head.subarray(0, ENCRYPTED_MAGIC.length)) === ENCRYPTED_MAGIC;
}

/** A stream transform: plaintext chunks in, the encrypted file's bytes out, with `key`. */
export function encryptStream(key: BackupKey) {
  return async function* encrypt(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const header: Header = { cipher: "AES-256-GCM", keyId: key.id, chunkBytes: CHUNK_BYTES };
    // The header line as additional data is its bytes without the newline, as a reader sees it.
    const headerBytes = new TextEncoder().encode(JSON.stringify(header));
    yield new TextEncoder().encode(ENCRYPTED_MAGIC);
    yield headerBytes;
    yield new Uint8Array([0x0a]);
    let index = 0;
    let pending: Uint8Array | null = null;
    for await (const piece of rechunk(source, CHUNK_BYTES)) {
      if (pending) yield await sealChunk(key.key, headerBytes, index++, pending, false);
      pending = piece;
    }
    yield await sealChunk(key.key, headerBytes, index, pending ?? new Uint8Array(0), true);
  };
}

/**
 * A stream transform: an encrypted file's bytes in, the plaintext out, with whichever of `keys`
 * the header names. Throws, with a message fit for an operator, on a wrong key, a changed byte,
 * a truncated file or anything after its end; the caller must not use what came out before then.
 */
export function decryptStream(keys: readonly BackupKey[], file: string) {
  return async function* decrypt(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const reader = new ByteReader(source);
    const magic = await reader.read(ENCRYPTED_MAGIC.length);
    if (!magic || new TextDecoder().decode(magic) !== ENCRYPTED_MAGIC) {
      throw new Error(`${file} is not an encrypted SeatServe backup`);
    }
    const headerBytes = await reader.readLine(MAX_HEADER_BYTES);
    const header = headerBytes ? parseHeader(headerBytes) : null;
    if (!header || !headerBytes) throw new Error(`${file} is damaged: its header is unreadable`);
    const key = keys.find((k) => k.id === header.keyId);
    if (!key) {
      throw new Error(
        keys.length
          ? `${file} was encrypted with key ${header.keyId}, which is not in BACKUP_KEY ` +
            `(configured: ${keys.map((k) => k.id).join(", ")})`
          : `${file} is encrypted (key ${header.keyId}); set BACKUP_KEY to restore it`,
      );
    }
    for (let index = 0;; index++) {
      const nonce = await reader.read(NONCE_BYTES);
      const length = await reader.read(4);
      if (!nonce || !length) throw new Error(`${file} is damaged or truncated (chunk ${index})`);
      const size = new DataView(length.buffer, length.byteOffset, 4).getUint32(0);
      if (size < TAG_BYTES || size > header.chunkBytes + TAG_BYTES) {
        throw new Error(`${file} is damaged (chunk ${index} has an impossible length)`);
      }
      const sealed = await reader.read(size);
      if (!sealed) throw new Error(`${file} is truncated (chunk ${index})`);
      // Try as the last chunk when nothing follows, else as a middle one: the tag settles it.
      const last = await reader.atEnd();
      let plain: Uint8Array;
      try {
        plain = await openChunk(key.key, headerBytes, index, nonce, sealed, last);
      } catch {
        throw new Error(
          last
            ? `${file} is damaged, truncated or not encrypted with key ${key.id} (chunk ${index})`
            : `${file} is damaged or not encrypted with key ${key.id} (chunk ${index})`,
        );
      }
      if (plain.length) yield plain;
      if (last) return;
    }
  };
}

async function sealChunk(
  key: CryptoKey,
  header: Uint8Array,
  index: number,
  plain: Uint8Array,
  last: boolean,
): Promise<Uint8Array> {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: additionalData(header, index, last) },
      key,
      plain as Uint8Array<ArrayBuffer>,
    ),
  );
  const out = new Uint8Array(NONCE_BYTES + 4 + sealed.length);
  out.set(nonce);
  new DataView(out.buffer).setUint32(NONCE_BYTES, sealed.length);
  out.set(sealed, NONCE_BYTES + 4);
  return out;
}

async function openChunk(
  key: CryptoKey,
  header: Uint8Array,
  index: number,
  nonce: Uint8Array,
  sealed: Uint8Array,
  last: boolean,
): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: nonce as Uint8Array<ArrayBuffer>,
        additionalData: additionalData(header, index, last),
      },
      key,
      sealed as Uint8Array<ArrayBuffer>,
    ),
  );
}

/** The header's bytes, the chunk's index (8 bytes) and whether it is the last (1 byte). */
function additionalData(header: Uint8Array, index: number, last: boolean): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(header.length + 9);
  data.set(header);
  const view = new DataView(data.buffer);
  view.setBigUint64(header.length, BigInt(index));
  data[header.length + 8] = last ? 1 : 0;
  return data;
}

function parseHeader(bytes: Uint8Array): Header | null {
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes));
    if (
      header?.cipher === "AES-256-GCM" && typeof header.keyId === "string" &&
      Number.isInteger(header.chunkBytes) && header.chunkBytes > 0 &&
      header.chunkBytes <= 64 * CHUNK_BYTES
    ) return header;
  } catch {
    // not JSON
  }
  return null;
}

/** Pieces of exactly `size` bytes (the last shorter) from a stream of any pieces. */
async function* rechunk(source: AsyncIterable<Uint8Array>, size: number) {
  let buffer = new Uint8Array(size);
  let filled = 0;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(size - filled, piece.length - offset);
      buffer.set(piece.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === size) {
        yield buffer;
        buffer = new Uint8Array(size);
        filled = 0;
      }
    }
  }
  if (filled) yield buffer.subarray(0, filled);
}

/** Reads exact byte counts from a stream of pieces (each byte copied once, into its read). */
class ByteReader {
  #iterator: AsyncIterator<Uint8Array>;
  #pieces: Uint8Array[] = [];
  #buffered = 0;
  #done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or null when the stream ends first. */
  async read(n: number): Promise<Uint8Array | null> {
    while (this.#buffered < n && await this.#fill());
    if (this.#buffered < n) return null;
    return this.#take(n);
  }

  /** The bytes up to a newline (without it), or null when there is none within `max`. */
  async readLine(max: number): Promise<Uint8Array | null> {
    for (;;) {
      let offset = 0;
      for (const piece of this.#pieces) {
        const end = piece.indexOf(0x0a);
        if (end >= 0) {
          const line = this.#take(offset + end + 1);
          return line.subarray(0, line.length - 1);
        }
        offset += piece.length;
      }
      if (offset > max || !await this.#fill()) return null;
    }
  }

  /** Whether the stream has no more bytes. */
  async atEnd(): Promise<boolean> {
    while (!this.#buffered && await this.#fill());
    return this.#buffered === 0;
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const piece = this.#pieces[0];
      const count = Math.min(piece.length, n - filled);
      out.set(piece.subarray(0, count), filled);
      filled += count;
      if (count === piece.length) this.#pieces.shift();
      else this.#pieces[0] = piece.subarray(count);
    }
    this.#buffered -= n;
    return out;
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#done = true;
      return false;
    }
    if (next.value.length) {
      this.#pieces.push(next.value);
      this.#buffered += next.value.length;
    }
    return true;
  }
}
