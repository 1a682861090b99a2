/** Ids, random tokens and hashes. */
import { createHash } from "node:crypto";
import { monotonicFactory } from "ulid";

const nextUlid = monotonicFactory();

/** A new time-ordered id (ULID), so KV key order is creation order. */
export function newId(): string {
  return nextUlid();
}

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * A short random id (10 characters, 50 bits) for things named inside a record, such as a menu
 * item's option groups and options: each placed order line repeats them, so they are kept short.
 */
export function newShortId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let id = "";
  for (const b of bytes) id += CROCKFORD[b & 31];
  return id;
}

/** A URL-safe random token with `bytes` bytes of entropy. */
export function randomToken(bytes = 24): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * Hex SHA-256 of a string (UTF-8). Synchronous (`node:crypto`): on the order hot path
 * WebCrypto's async digest costs a thread-pool round trip per call.
 */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Base64url without padding. */
export function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Constant-time comparison of two strings. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
