/**
 * Menu languages: canonical language tags, choosing the language of an answer (`?lang=`, then
 * `Accept-Language`, then the location's default) and the text of a translatable thing in one
 * language, falling back field by field to the default language. Pure.
 */

/** The canonical form of a BCP 47 tag (`de-ch` → `de-CH`), or null when it is not one. */
export function canonicalTag(tag: string): string | null {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag.trim());
    return canonical ?? null;
  } catch {
    return null;
  }
}

/** The languages a location offers: its default first, each once, canonical. */
export function offeredLanguages(defaultLanguage: string, languages: readonly string[] = []) {
  const offered: string[] = [];
  for (const tag of [defaultLanguage, ...languages]) {
    const canonical = canonicalTag(tag);
    if (canonical && !offered.some((o) => o.toLowerCase() === canonical.toLowerCase())) {
      offered.push(canonical);
    }
  }
  return offered;
}

/**
 * The tags of an `Accept-Language` header by preference (highest `q` first; equal `q` in the
 * header's order), without `q=0` and without `*`. Malformed ranges and weights are skipped.
 */
export function parseAcceptLanguage(header: string): string[] {
  const ranked: { tag: string; q: number; at: number }[] = [];
  const parts = header.split(",").slice(0, 32);
  parts.forEach((part, at) => {
    const [range, ...params] = part.trim().split(";");
    const tag = range.trim();
    if (!tag || tag === "*" || !/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) return;
    let q = 1;
    for (const param of params) {
      if (!/^\s*q\s*=/.test(param)) continue;
      const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(param);
      q = match ? Number(match[1]) : 0; // a malformed weight drops the range
    }
    if (q > 0 && q <= 1) ranked.push({ tag, q, at });
  });
  return ranked.sort((a, b) => b.q - a.q || a.at - b.at).map((r) => r.tag);
}

/**
 * The offered language that best serves `wanted`, or null: the same tag, else a shorter form of
 * it (`de-CH` → `de`), else an offered tag of the same language (`de` → `de-AT`). Case-insensitive.
 */
export function matchLanguage(offered: readonly string[], wanted: string): string | null {
  const lower = offered.map((o) => o.toLowerCase());
  let tag = wanted.trim().toLowerCase();
  while (tag) {
    const at = lower.indexOf(tag);
    if (at >= 0) return offered[at];
    const cut = tag.lastIndexOf("-");
    tag = cut > 0 ? tag.slice(0, cut) : "";
  }
  const primary = wanted.trim().toLowerCase().split("-")[0];
  const at = lower.findIndex((o) => o.split("-")[0] === primary);
  return at >= 0 ? offered[at] : null;
}

/**
 * The language of an answer: `query` (`?lang=`) when offered, else the best offered match of
 * `acceptLanguage`, else the default (the first offered).
 */
export function negotiateLanguage(
  offered: readonly string[],
  wanted: { query?: string; acceptLanguage?: string },
): string {
  if (wanted.query) {
    const match = matchLanguage(offered, wanted.query);
    if (match) return match;
  }
  if (wanted.acceptLanguage) {
    for (const tag of parseAcceptLanguage(wanted.acceptLanguage)) {
      const match = matchLanguage(offered, tag);
      if (match) return match;
    }
  }
  return offered[0];
}

/**
 * A translated text: `translations[lang][field]`, else that of a shorter form of `lang`
 * (`de-CH` → `de`), else `fallback` (the default language's text).
 */
export function translated(
  translations: Readonly<Record<string, Readonly<Partial<Record<string, string>>>>> | undefined,
  lang: string,
  field: string,
  fallback: string,
): string {
  if (!translations) return fallback;
  let tag = lang;
  while (tag) {
    const text = translations[tag]?.[field];
    if (text) return text;
    const cut = tag.lastIndexOf("-");
    tag = cut > 0 ? tag.slice(0, cut) : "";
  }
  return fallback;
}
