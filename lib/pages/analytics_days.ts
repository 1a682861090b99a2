/**
 * The analytics page's date range: whole days in UTC (as the summary counts them), picked as
 * "from" and "to" dates, both included, and the [from, to) times the summary is asked for.
 * Pure, for the server's render and the island alike.
 */

const DAY_MS = 86_400_000;
/** Days the page shows when none are picked: the last 30, today included. */
export const DEFAULT_DAYS = 30;

/** A picked range of days (`YYYY-MM-DD`, both included). */
export interface DayRange {
  fromDay: string;
  toDay: string;
}

/** `YYYY-MM-DD` of a time, in UTC. */
export function dayOf(time: Date): string {
  return time.toISOString().slice(0, 10);
}

/** Whether `text` is a real calendar day written `YYYY-MM-DD`. */
export function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const time = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(time.getTime()) && dayOf(time) === text;
}

/** The days asked for (`?from=&to=`), defaults filled in; `null` when one is not a day. */
export function pickedDays(
  asked: { from?: string; to?: string },
  now = new Date(),
): DayRange | null {
  const toDay = asked.to || dayOf(now);
  if (!isDay(toDay)) return null;
  const fromDay = asked.from ||
    dayOf(new Date(Date.parse(`${toDay}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY_MS));
  if (!isDay(fromDay)) return null;
  return { fromDay, toDay };
}

/** The summary's [from, to) for a range of days: from the first's midnight to after the last. */
export function rangeOfDays(days: DayRange): { from: string; to: string } {
  const to = new Date(Date.parse(`${days.toDay}T00:00:00Z`) + DAY_MS);
  return { from: `${days.fromDay}T00:00:00.000Z`, to: to.toISOString() };
}
