/**
 * Debian's Chromium driven by playwright-core, started once per test file. The test task
 * (`tasks/prerequisites.ts`) installs Chromium when it is missing; if it still is, this fails
 * with one line saying how, never skipping the browser tests.
 */
import { gzipSync } from "node:zlib";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Starts headless Chromium; throws a clear error when it is not installed. */
export async function startBrowser(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: run \`apt-get install -y chromium\` (as root), or \`deno task test\``,
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
}

/** Where tests write their screenshots (README: "Screenshots"). */
export const SCREENSHOTS = new URL("../../test-artifacts/screenshots/", import.meta.url).pathname;

/** Waits until `check` holds, polling, or throws after `ms` with `what`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The gzipped size of a page's script: its entry and every chunk it imports, once each. */
export async function scriptBytes(base: string, html: string, kind: string): Promise<number> {
  const entry = new RegExp(`src="(/assets/${kind}-[A-Z0-9]+\\.js)"`).exec(html)![1];
  const seen = new Set<string>();
  let total = 0;
  const load = async (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = await (await fetch(`${base}${path}`)).text();
    total += gzipSync(new TextEncoder().encode(text), { level: 9 }).length;
    for (const [, chunk] of text.matchAll(/from\s*"\.\/(chunk-[A-Z0-9]+\.js)"/g)) {
      await load(`/assets/${chunk}`);
    }
  };
  await load(entry);
  return total;
}
