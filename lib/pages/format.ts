/**
 * Formatting shared by the server's render and the islands (pure: no Deno or DOM APIs), so a
 * hydrated page prints exactly what the server sent.
 */

const formats = new Map<string, Intl.NumberFormat>();

/** An amount in minor units as the location's currency, in the page's language. */
export function formatPrice(cents: number, currency: string, lang: string): string {
  const key = `${lang}|${currency}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(lang, { style: "currency", currency });
    formats.set(key, format);
  }
  return format.format(cents / 100);
}

/** A price delta as "+ €2.00" (or "− €1.00"); empty for none. */
export function formatDelta(cents: number, currency: string, lang: string): string {
  if (cents === 0) return "";
  return `${cents > 0 ? "+" : "−"} ${formatPrice(Math.abs(cents), currency, lang)}`;
}

/** A time of day, hours and minutes, in the page's language. */
export function formatClock(iso: string, lang: string): string {
  return new Date(iso).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}

/** A message with its `{name}` placeholders filled. */
export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? `{${name}}`));
}

/** A date and time of day, in the page's language. */
export function formatDate(iso: string, lang: string): string {
  return new Date(iso).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
}
