/**
 * Bodies that are served many times unchanged (the menu: one per catalog version, language and
 * filter) compressed once, not per request: a menu of ~21 KB goes out as ~4 KB. The client's
 * `Accept-Encoding` picks brotli or gzip (q-values honoured, `q=0` refuses); others get it as is.
 */
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** A content coding we send. */
export type ContentCoding = "br" | "gzip";

/** Quality 9 of 11: within a few percent of 11's size at a fraction of its time. */
const BROTLI_QUALITY = 9;

const cache = new WeakMap<Uint8Array, Partial<Record<ContentCoding, Uint8Array<ArrayBuffer>>>>();

/** The coding to answer with for an `Accept-Encoding` header, or null for none. */
export function chooseCoding(acceptEncoding: string | undefined): ContentCoding | null {
  if (!acceptEncoding) return null;
  let best: ContentCoding | null = null;
  let bestQ = 0;
  let star = -1;
  const q: Partial<Record<ContentCoding, number>> = {};
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const weight = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(weight)) continue;
    if (name === "*") star = weight;
    else if (name === "br" || name === "gzip") q[name] = weight;
  }
  for (const coding of ["br", "gzip"] as const) {
    const weight = q[coding] ?? (star >= 0 ? star : 0);
    if (weight > bestQ) {
      best = coding;
      bestQ = weight;
    }
  }
  return best;
}

/** `body` in `coding`, compressed on first use and kept as long as the body is. */
export function compressedBody(
  body: Uint8Array,
  coding: ContentCoding,
): Uint8Array<ArrayBuffer> {
  let codings = cache.get(body);
  if (!codings) cache.set(body, codings = {});
  let bytes = codings[coding];
  if (!bytes) {
    bytes = coding === "br"
      ? new Uint8Array(brotliCompressSync(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
        },
      }))
      : new Uint8Array(gzipSync(body, { level: 9 }));
    codings[coding] = bytes;
  }
  return bytes;
}
