/** Retry timing: doubling, capped, jittered, never past the budget. */
import assert from "node:assert/strict";
import { budgetSpent, retryDelay } from "../../lib/webhooks/backoff.ts";
import { loadConfig } from "../../lib/config.ts";

Deno.test("[webhooks] retryDelay()", async (t) => {
  const settings = { retryBaseMs: 1000, retryMaxMs: 60 * 60 * 1000, retryBudgetMs: 86_400_000 };
  await t.step("doubles from the base, half of it fixed and half random", () => {
    assert.equal(retryDelay(1, 0, settings, 0), 500);
    assert.equal(retryDelay(1, 0, settings, 1), 1000);
    assert.equal(retryDelay(2, 0, settings, 1), 2000);
    assert.equal(retryDelay(5, 0, settings, 0.5), 0.75 * 16_000);
  });
  await t.step("capped at the longest delay", () => {
    assert.equal(retryDelay(40, 0, settings, 1), 3_600_000);
    assert.equal(retryDelay(1000, 0, settings, 0), 1_800_000);
  });
  await t.step("never past the budget's end, so the last attempt falls on it", () => {
    assert.equal(retryDelay(30, 86_400_000 - 1234, settings, 1), 1234);
    assert.equal(retryDelay(30, 86_400_000 + 5, settings, 1), 0);
    assert.equal(budgetSpent(86_399_999, settings), false);
    assert.equal(budgetSpent(86_400_000, settings), true);
  });
  await t.step("the default budget is 24 h; the schedule reaches it in about 30 attempts", () => {
    const config = loadConfig({ SEATSERVE_KV_PATH: ":memory:" }).webhooks;
    assert.equal(config.retryBudgetMs, 24 * 60 * 60 * 1000);
    assert.equal(config.allowPrivate, false);
    let elapsed = 0;
    let attempts = 1;
    while (!budgetSpent(elapsed, config)) {
      elapsed += retryDelay(attempts++, elapsed, config, 1);
    }
    assert.equal(elapsed, config.retryBudgetMs);
    assert.ok(attempts > 20 && attempts < 40, String(attempts));
  });
});
