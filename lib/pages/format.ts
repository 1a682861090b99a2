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

const minorDigits = new Map<string, number>();

/** How many minor-unit digits `currency` has (2 for EUR, 0 for JPY, 3 for KWD). */
export function currencyDigits(currency: string): number {
  let digits = minorDigits.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
    minorDigits.set(currency, digits);
  }
  return digits;
}

/**
 * An amount typed in `currency` ("12.50", "12,5", "−1.00", "+2") as minor units, exactly: the
 * decimal string is read digit by digit, never through a float. `null` when it is not an amount
 * (letters, grouping, more decimals than the currency has, a sign where `signed` is false).
 */
export function parsePrice(
  text: string,
  currency: string,
  options: { signed?: boolean } = {},
): number | null {
  const digits = currencyDigits(currency);
  const match = /^([-+−])?\s*(\d{1,9})(?:[.,](\d*))?$/.exec(text.trim());
  if (!match) return null;
  const [, sign, whole, fraction = ""] = match;
  if (fraction.length > digits) return null;
  if (sign && sign !== "+" && !options.signed) return null;
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
  if (!Number.isSafeInteger(minor)) return null;
  return sign === "-" || sign === "−" ? -minor : minor;
}

/**
 * Minor units as the plain decimal an editor shows in a price field, with the decimal mark of
 * `lang` ("12.50" in English, "12,50" in German; no grouping, so `parsePrice` reads it back).
 */
export function priceInput(cents: number, currency: string, lang = "en"): string {
  const digits = currencyDigits(currency);
  const mark = new Intl.NumberFormat(lang).formatToParts(1.5)
      .find((p) => p.type === "decimal")?.value === ","
    ? ","
    : ".";
  const abs = String(Math.abs(cents)).padStart(digits + 1, "0");
  const text = digits ? `${abs.slice(0, -digits)}${mark}${abs.slice(-digits)}` : abs;
  return cents < 0 ? `-${text}` : text;
}
