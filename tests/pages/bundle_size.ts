/**
 * What a page's script costs a browser: its entry and every chunk it imports, each gzipped as
 * the server sends it. Not a test file.
 */
import { gzipSync } from "node:zlib";

/** The gzipped bytes of `script` (an `/assets/…` path) and the chunks it imports, in total. */
export async function gzippedScript(base: string, script: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const visit = async (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const reply = await fetch(`${base}${path}`);
    if (reply.status !== 200) throw new Error(`${path}: ${reply.status}`);
    const body = new Uint8Array(await reply.arrayBuffer());
    total += gzipSync(body, { level: 9 }).length;
    const text = new TextDecoder().decode(body);
    for (const [, chunk] of text.matchAll(/from\s*"\.\/([\w.-]+\.js)"/g)) {
      await visit(`/assets/${chunk}`);
    }
    for (const [, chunk] of text.matchAll(/import\s*"\.\/([\w.-]+\.js)"/g)) {
      await visit(`/assets/${chunk}`);
    }
  };
  await visit(script);
  return total;
}
