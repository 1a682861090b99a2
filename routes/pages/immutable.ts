/**
 * The answer for a file whose URL names its version (a content hash, a package version): kept a
 * year and never revalidated, compressed once as the client allows (`lib/http/precompressed.ts`).
 */
import type { Context } from "hono";
import { chooseCoding, compressedBody } from "../../lib/http/precompressed.ts";

/** Serves `bytes` as an immutable file of `type` (with `etag`, a 304 for a match). */
export function immutableFile(
  c: Context,
  file: { bytes: Uint8Array<ArrayBuffer>; type: string; etag?: string },
): Response {
  c.header("Cache-Control", "public, max-age=31536000, immutable");
  c.header("Vary", "Accept-Encoding");
  c.header("Content-Type", file.type);
  if (file.etag) {
    c.header("ETag", file.etag);
    if (c.req.header("if-none-match") === file.etag) return c.body(null, 304);
  }
  const coding = chooseCoding(c.req.header("accept-encoding"));
  if (!coding) return c.body(file.bytes);
  c.header("Content-Encoding", coding);
  return c.body(compressedBody(file.bytes, coding));
}
