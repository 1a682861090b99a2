/**
 * The guest's menu, as `GET /api/menu` and the menu stream send it: the location's items in one
 * language (without the translations themselves), optionally filtered by allergens to exclude and
 * dietary tags to require, encoded once with its ETag. Pure.
 */
import { sha256Hex } from "../kv/ids.ts";
import type { Allergen, Location, Menu, MenuItem, MenuViewItem } from "../schemas.ts";
import { translated } from "./i18n.ts";

/** What a guest asks to leave out or to keep only. */
export interface MenuFilter {
  /** Leave out items with any of these allergens, and options that add one. */
  exclude: readonly Allergen[];
  /** Keep only items carrying every one of these dietary tags. */
  diet: readonly string[];
}

/** A menu encoded once: the response body and its strong ETag. */
export interface EncodedMenu {
  lang: string;
  /** The UTF-8 JSON body. */
  body: Uint8Array<ArrayBuffer>;
  /** Strong ETag of `body`, quoted. */
  etag: string;
}

/** Whether a filter filters anything. */
export function isEmptyFilter(filter: MenuFilter | undefined): boolean {
  return !filter || (filter.exclude.length === 0 && filter.diet.length === 0);
}

/** A filter's cache key (its lists sorted; the same filter always gives the same key). */
export function filterKey(filter: MenuFilter | undefined): string {
  if (isEmptyFilter(filter)) return "";
  return `${[...filter!.exclude].sort().join(",")}|${[...filter!.diet].sort().join(",")}`;
}

/**
 * The menu in `lang`: categories in order of their first item, items in creation order, every
 * text in `lang` where translated, else in the default language. With a filter, items with an
 * excluded allergen, or without a required tag, are left out; so are options that add an
 * excluded allergen, and items whose required group then has too few options left.
 */
export function menuView(
  location: Location,
  items: readonly MenuItem[],
  options: { lang: string; filter?: MenuFilter },
): Menu {
  const { lang, filter } = options;
  const shown: MenuViewItem[] = [];
  // Grouped by the default language's category, named in `lang` after its first item.
  const categories = new Map<string, { name: string; itemIds: string[] }>();
  for (const item of items) {
    const view = itemView(item, lang, filter);
    if (!view) continue;
    shown.push(view);
    const category = categories.get(item.category);
    if (category) category.itemIds.push(view.id);
    else categories.set(item.category, { name: view.category, itemIds: [view.id] });
  }
  return {
    location: {
      id: location.id,
      slug: location.slug,
      name: location.name,
      currency: location.currency,
      defaultLanguage: location.defaultLanguage,
      languages: location.languages,
    },
    lang,
    categories: [...categories.values()],
    items: shown,
  };
}

/** The menu as JSON bytes with its ETag. */
export function encodeMenu(menu: Menu): EncodedMenu {
  const json = JSON.stringify(menu);
  return {
    lang: menu.lang,
    body: new TextEncoder().encode(json),
    etag: `"${sha256Hex(json).slice(0, 24)}"`,
  };
}

/** The item's groups as the filter leaves them, or null when the item is left out. */
function passes(item: MenuItem, filter: MenuFilter | undefined): MenuItem["optionGroups"] | null {
  if (isEmptyFilter(filter)) return item.optionGroups;
  const { exclude, diet } = filter!;
  if (item.allergens.some((a) => exclude.includes(a))) return null;
  if (!diet.every((tag) => item.dietary.includes(tag))) return null;
  if (!exclude.length) return item.optionGroups;
  const groups = [];
  for (const group of item.optionGroups) {
    const options = group.options.filter((o) => !o.allergens.some((a) => exclude.includes(a)));
    if (options.length < group.min) return null;
    if (options.length) groups.push({ ...group, options });
  }
  return groups;
}

function itemView(
  item: MenuItem,
  lang: string,
  filter: MenuFilter | undefined,
): MenuViewItem | null {
  const groups = passes(item, filter);
  if (!groups) return null;
  const { translations, optionGroups: _, ...fields } = item;
  return {
    ...fields,
    name: translated(translations, lang, "name", item.name),
    description: translated(translations, lang, "description", item.description),
    category: translated(translations, lang, "category", item.category),
    optionGroups: groups.map(({ translations: groupTexts, options, ...group }) => ({
      ...group,
      name: translated(groupTexts, lang, "name", group.name),
      options: options.map(({ translations: optionTexts, ...option }) => ({
        ...option,
        name: translated(optionTexts, lang, "name", option.name),
      })),
    })),
  };
}
