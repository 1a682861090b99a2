/** Retry timing of webhook deliveries. Pure: no I/O (the random draw is passed in). */

/** Retry settings (`Config.webhooks`). */
export interface BackoffSettings {
  retryBaseMs: number;
  retryMaxMs: number;
  retryBudgetMs: number;
}

/**
 * How long to wait after the `failures`-th failed attempt in a row: the base doubled each time,
 * capped, with "equal jitter" (half fixed, half random) so many endpoints failing together do not
 * retry in step; never past the end of the budget, so the last attempt falls at its end.
 */
export function retryDelay(
  failures: number,
  elapsedMs: number,
  settings: BackoffSettings,
  random: number,
): number {
  const exponential = settings.retryBaseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40);
  const capped = Math.min(settings.retryMaxMs, exponential);
  const jittered = capped / 2 + (capped / 2) * random;
  return Math.max(0, Math.min(jittered, settings.retryBudgetMs - elapsedMs));
}

/** Whether a streak of failures that began `elapsedMs` ago has used up the budget. */
export function budgetSpent(elapsedMs: number, settings: BackoffSettings): boolean {
  return elapsedMs >= settings.retryBudgetMs;
}
