/**
 * How the order path stores its values: as UTF-8 JSON bytes. Deno KV keeps a `Uint8Array` as it
 * is, while any other value costs a V8 serialization at every `set` (BENCHMARKS.md has the
 * measurement). An order is encoded once per change and the same bytes go to its row and into
 * the change-feed entry.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The value of index entries, whose key says everything. */
export const NO_VALUE: Uint8Array = new Uint8Array(0);

/** A value as JSON bytes. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** A value from JSON bytes written by `encodeJson` (or `joinJson`). */
export function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

/**
 * The JSON bytes of an object (from `encodeJson`) with one more field at its end, without
 * encoding the object again.
 */
export function withJsonField(
  object: Uint8Array,
  name: string,
  value: unknown,
): Uint8Array<ArrayBuffer> {
  if (object[object.length - 1] !== 0x7d) throw new Error("not the bytes of a JSON object");
  const field = encoder.encode(
    `${object.length > 2 ? "," : ""}${JSON.stringify(name)}:${JSON.stringify(value)}}`,
  );
  const out = new Uint8Array(object.length - 1 + field.length);
  out.set(object.subarray(0, object.length - 1), 0);
  out.set(field, object.length - 1);
  return out;
}

/** `withJsonField` for several fields at once (one copy of the bytes). */
export function withJsonFields(
  object: Uint8Array,
  fields: readonly [string, unknown][],
): Uint8Array<ArrayBuffer> {
  if (object[object.length - 1] !== 0x7d) throw new Error("not the bytes of a JSON object");
  let text = "";
  for (const [name, value] of fields) {
    text += `${object.length > 2 || text ? "," : ""}${JSON.stringify(name)}:${
      JSON.stringify(value)
    }`;
  }
  const field = encoder.encode(text + "}");
  const out = new Uint8Array(object.length - 1 + field.length);
  out.set(object.subarray(0, object.length - 1), 0);
  out.set(field, object.length - 1);
  return out;
}

/**
 * The JSON bytes of `head` + the encoded `parts` joined by commas + `tail`, e.g.
 * `joinJson('{"orders":[', parts, ']}')`, without encoding the parts again. `wrap` puts text
 * before and after each part (to make each an object holding it).
 */
export function joinJson(
  head: string,
  parts: readonly Uint8Array[],
  tail: string,
  wrap: { before: string; after: string } = { before: "", after: "" },
): Uint8Array {
  const start = encoder.encode(head);
  const end = encoder.encode(tail);
  const before = encoder.encode(wrap.before);
  const after = encoder.encode(wrap.after);
  let length = start.length + end.length + Math.max(0, parts.length - 1) +
    parts.length * (before.length + after.length);
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  out.set(start, 0);
  let at = start.length;
  parts.forEach((part, i) => {
    if (i > 0) out[at++] = 0x2c; // ","
    out.set(before, at);
    at += before.length;
    out.set(part, at);
    at += part.length;
    out.set(after, at);
    at += after.length;
  });
  out.set(end, at);
  return out;
}
