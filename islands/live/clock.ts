/**
 * The page's one clock: the current time, ticking every `ms`, for every ticket's age and the
 * staleness line (one timer for the page, however many tickets it shows).
 */
import { useEffect, useState } from "preact/hooks";

/** Now, in ms since the epoch, updated every `ms`. */
export function useNow(ms = 1_000, start?: number): number {
  const [now, setNow] = useState(start ?? Date.now());
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** "just now", "40 s ago", "2 min ago" in the staff texts of a page. */
export function agoText(
  ms: number,
  m: { ago_now: string; ago_seconds: string; ago_minutes: string },
): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 5) return m.ago_now;
  if (seconds < 60) return m.ago_seconds.replace("{n}", String(seconds));
  return m.ago_minutes.replace("{n}", String(Math.floor(seconds / 60)));
}

/** An age as "m:ss" (or "h:mm:ss"), for tickets. */
export function ageText(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
