/**
 * An item as the editor's form holds it (every field as typed, prices as decimal strings) and
 * the request body made from it. Pure: no DOM, no fetch. Prices are parsed exactly
 * (lib/pages/format.ts parsePrice); everything else the server judges, so its 422 `details`
 * (paths such as `optionGroups.0.min`) land next to the fields of the same path.
 */
import { parsePrice, priceInput } from "../../lib/pages/format.ts";
import type { MenuItem } from "../../lib/schemas.ts";

/** One option as typed. */
export interface OptionDraft {
  id?: string;
  name: string;
  delta: string;
  available: boolean;
  allergens: string[];
  /** By language: the option's name. */
  names: Record<string, string>;
}

/** One option group as typed. */
export interface GroupDraft {
  id?: string;
  name: string;
  min: string;
  max: string;
  options: OptionDraft[];
  names: Record<string, string>;
}

/** A translation of the item's texts. */
export interface TextsDraft {
  name: string;
  description: string;
  category: string;
}

/** The whole form. */
export interface ItemDraft {
  id?: string;
  name: string;
  description: string;
  price: string;
  category: string;
  available: boolean;
  allergens: string[];
  dietary: string;
  station: string;
  prepMinutes: string;
  groups: GroupDraft[];
  /** By language other than the default. */
  translations: Record<string, TextsDraft>;
}

/** A problem with one field, as the server's `details` name them. */
export interface FieldError {
  path: string;
  message: string;
}

/** A fresh option. */
export function newOption(): OptionDraft {
  return { name: "", delta: "0", available: true, allergens: [], names: {} };
}

/** A fresh group with one option. */
export function newGroup(): GroupDraft {
  return { name: "", min: "0", max: "1", options: [newOption()], names: {} };
}

/** A blank item (for "new item"), in `category` when given. */
export function newDraft(category = ""): ItemDraft {
  return {
    name: "",
    description: "",
    price: "",
    category,
    available: true,
    allergens: [],
    dietary: "",
    station: "kitchen",
    prepMinutes: "",
    groups: [],
    translations: {},
  };
}

/** The form of a stored item, its prices written as `lang` writes decimals. */
export function draftOf(item: MenuItem, currency: string, lang = "en"): ItemDraft {
  const names = (t: Record<string, { name?: string }> | undefined) =>
    Object.fromEntries(Object.entries(t ?? {}).map(([lang, v]) => [lang, v.name ?? ""]));
  return {
    id: item.id,
    name: item.name,
    description: item.description,
    price: priceInput(item.priceCents, currency, lang),
    category: item.category,
    available: item.available,
    allergens: [...item.allergens],
    dietary: item.dietary.join(", "),
    station: item.station,
    prepMinutes: item.prepMinutes === undefined ? "" : String(item.prepMinutes),
    groups: item.optionGroups.map((g) => ({
      id: g.id,
      name: g.name,
      min: String(g.min),
      max: String(g.max),
      names: names(g.translations),
      options: g.options.map((o) => ({
        id: o.id,
        name: o.name,
        delta: priceInput(o.priceDeltaCents, currency, lang),
        available: o.available,
        allergens: [...o.allergens],
        names: names(o.translations),
      })),
    })),
    translations: Object.fromEntries(
      Object.entries(item.translations).map(([lang, t]) => [lang, {
        name: t.name ?? "",
        description: t.description ?? "",
        category: t.category ?? "",
      }]),
    ),
  };
}

/** The body to send (create or full update), or the fields the editor itself refuses. */
export function bodyOf(
  draft: ItemDraft,
  options: { currency: string; languages: readonly string[]; notAPrice: string },
): { body: Record<string, unknown>; errors: [] } | { body: null; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const price = (text: string, path: string, signed: boolean) => {
    const cents = parsePrice(text === "" && signed ? "0" : text, options.currency, { signed });
    if (cents === null) errors.push({ path, message: options.notAPrice });
    return cents ?? 0;
  };
  // Numbers as typed: a field that is not a whole number goes to the server as it is, and the
  // server says what is wrong with it.
  const integer = (text: string) => /^\s*-?\d+\s*$/.test(text) ? Number(text) : text;
  const languages = options.languages.filter((lang) => lang !== options.languages[0]);
  const names = (byLang: Record<string, string>) => {
    const entries = languages.filter((lang) => byLang[lang]?.trim()).map((lang) => [
      lang,
      { name: byLang[lang].trim() },
    ]);
    return entries.length ? Object.fromEntries(entries) : undefined;
  };
  const body = {
    name: draft.name,
    description: draft.description,
    priceCents: price(draft.price, "priceCents", false),
    category: draft.category,
    available: draft.available,
    allergens: draft.allergens,
    dietary: draft.dietary.split(",").map((t) => t.trim()).filter(Boolean),
    station: draft.station.trim(),
    prepMinutes: draft.prepMinutes.trim() === "" ? null : integer(draft.prepMinutes),
    optionGroups: draft.groups.map((g, i) => ({
      ...(g.id ? { id: g.id } : {}),
      name: g.name,
      min: integer(g.min),
      max: integer(g.max),
      ...(names(g.names) ? { translations: names(g.names) } : {}),
      options: g.options.map((o, j) => ({
        ...(o.id ? { id: o.id } : {}),
        name: o.name,
        priceDeltaCents: price(o.delta, `optionGroups.${i}.options.${j}.priceDeltaCents`, true),
        available: o.available,
        allergens: o.allergens,
        ...(names(o.names) ? { translations: names(o.names) } : {}),
      })),
    })),
    translations: Object.fromEntries(
      languages.flatMap((lang) => {
        const t = draft.translations[lang];
        if (!t) return [];
        const texts = Object.fromEntries(
          (["name", "description", "category"] as const).filter((k) => t[k].trim()).map((
            k,
          ) => [k, t[k].trim()]),
        );
        return Object.keys(texts).length ? [[lang, texts]] : [];
      }),
    ),
  };
  if (errors.length) return { body: null, errors };
  // A new item has no `prepMinutes` rather than a null one.
  if (!draft.id && body.prepMinutes === null) {
    const { prepMinutes: _, ...rest } = body;
    return { body: rest, errors: [] };
  }
  return { body, errors: [] };
}

/** Every path the form shows a field for: the other `details` are listed above the form. */
export function fieldPaths(draft: ItemDraft, languages: readonly string[]): Set<string> {
  const paths = [
    "name",
    "description",
    "priceCents",
    "category",
    "available",
    "allergens",
    "dietary",
    "station",
    "prepMinutes",
    "optionGroups",
  ];
  for (const lang of languages.slice(1)) {
    for (const k of ["name", "description", "category"]) paths.push(`translations.${lang}.${k}`);
  }
  draft.groups.forEach((g, i) => {
    for (const k of ["name", "min", "max", "options"]) paths.push(`optionGroups.${i}.${k}`);
    for (const lang of languages.slice(1)) {
      paths.push(`optionGroups.${i}.translations.${lang}.name`);
    }
    g.options.forEach((_, j) => {
      for (const k of ["name", "priceDeltaCents", "available", "allergens"]) {
        paths.push(`optionGroups.${i}.options.${j}.${k}`);
      }
      for (const lang of languages.slice(1)) {
        paths.push(`optionGroups.${i}.options.${j}.translations.${lang}.name`);
      }
    });
  });
  return new Set(paths);
}

/**
 * Where a detail is shown: its own path when the form has that field, else the nearest field
 * above it (`dietary.2` at `dietary`, `optionGroups.0` at the groups), else nowhere (listed).
 */
export function fieldOf(path: string, fields: Set<string>): string | null {
  for (let p = path; p; p = p.slice(0, Math.max(0, p.lastIndexOf(".")))) {
    if (fields.has(p)) return p;
  }
  return null;
}

/**
 * An edit's body with the availability the form did not change taken from the item as it is
 * now (`live`): an 86 made in the kitchen while a manager edits the description stays, since
 * the menu endpoints take no `If-Match`. Availability the form did change is sent as changed.
 */
export function keepLiveAvailability(
  body: Record<string, unknown>,
  edit: { draft: ItemDraft; opened: ItemDraft; live: MenuItem | undefined },
): Record<string, unknown> {
  const { draft, opened, live } = edit;
  if (!live) return body;
  const out = { ...body };
  if ("available" in body && draft.available === opened.available) {
    out.available = live.available;
  }
  if (!Array.isArray(body.optionGroups)) return out;
  const openedOptions = new Map(
    opened.groups.flatMap((g) => g.options).filter((o) => o.id).map((o) => [o.id!, o]),
  );
  const liveOptions = new Map(
    live.optionGroups.flatMap((g) => g.options).map((o) => [o.id, o.available]),
  );
  out.optionGroups = (body.optionGroups as { options: { id?: string; available: boolean }[] }[])
    .map((group) => ({
      ...group,
      options: group.options.map((option) => {
        const before = option.id ? openedOptions.get(option.id) : undefined;
        const now = option.id ? liveOptions.get(option.id) : undefined;
        return before && now !== undefined && before.available === option.available
          ? { ...option, available: now }
          : option;
      }),
    }));
  return out;
}

/**
 * The body of an edit: only the fields the form changed from the item as it opened, so that a
 * field changed elsewhere meanwhile (another manager's price, the kitchen's 86) stays as it is
 * now instead of being written back as the form last saw it; changed option groups keep, for each
 * option the form did not switch, its availability as it is now (`keepLiveAvailability`). Two
 * screens changing the same field: the later save wins. Null when the form changed nothing.
 */
export function editBody(
  body: Record<string, unknown>,
  openedBody: Record<string, unknown>,
  edit: { draft: ItemDraft; opened: ItemDraft; live: MenuItem | undefined },
): Record<string, unknown> | null {
  const changed: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) {
    if (JSON.stringify(value) !== JSON.stringify(openedBody[field])) changed[field] = value;
  }
  return Object.keys(changed).length ? keepLiveAvailability(changed, edit) : null;
}
