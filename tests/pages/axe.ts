/**
 * Accessibility checks with npm `axe-core`, run inside the page under test in Chromium. The
 * script is evaluated through the DevTools protocol, so the pages' CSP (`script-src 'self'`)
 * stays as it is in production.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const require = createRequire(import.meta.url);
let source: string | undefined;

/** One violation axe reported: its rule, impact and the elements it found. */
export interface Violation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** Runs axe-core (WCAG 2.x A and AA rules, best practices) on what `page` shows now. */
export async function axeViolations(page: Page): Promise<Violation[]> {
  source ??= (require("axe-core") as { source: string }).source;
  await page.evaluate(source);
  return await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, {
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
      },
    });
    // deno-lint-ignore no-explicit-any
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact ?? "unknown",
      help: v.help,
      // deno-lint-ignore no-explicit-any
      targets: v.nodes.slice(0, 5).map((n: any) => String(n.target)),
    }));
  });
}

/** Fails with every serious or critical violation axe-core finds on `page`, named by `where`. */
export async function assertAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  const severe = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    severe.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(" | ")})`),
    [],
    `axe-core on ${where}`,
  );
}
