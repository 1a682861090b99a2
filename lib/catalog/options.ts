/**
 * Menu items as the catalog writes them: ids for new option groups and options, edits that keep
 * the ids of what they keep, canonical translation keys, and the rules a stored item must meet
 * (ids unique within it, no choice of options pricing it below zero, small enough for one KV
 * value). Also the defaults that items stored before options existed are read with. Pure.
 */
import { encodeJson } from "../kv/codec.ts";
import { newShortId } from "../kv/ids.ts";
import { type ErrorDetail, invalid, tooLarge } from "../errors.ts";
import type {
  CreateMenuItemInput,
  MenuItem,
  MenuOption,
  OptionGroup,
  OptionGroupInput,
  UpdateMenuItemInput,
} from "../schemas.ts";
import { canonicalTag } from "./i18n.ts";

/** The most bytes a menu item may take as stored (a KV value, and a change in a feed entry). */
export const MAX_MENU_ITEM_BYTES = 48 * 1024;

/** A new item from its input, with fresh ids for its groups and options. */
export function newMenuItem(id: string, input: CreateMenuItemInput): MenuItem {
  const details: ErrorDetail[] = [];
  input.optionGroups.forEach((group, g) => {
    if (group.id !== undefined) {
      details.push({ path: `optionGroups.${g}.id`, message: "A new item's groups get new ids." });
    }
    group.options.forEach((option, o) => {
      if (option.id !== undefined) {
        details.push({
          path: `optionGroups.${g}.options.${o}.id`,
          message: "A new item's options get new ids.",
        });
      }
    });
  });
  if (details.length) throw invalid("Leave ids out when creating an item.", details);
  const { prepMinutes, optionGroups, translations, ...rest } = input;
  return checkedItem({
    id,
    ...rest,
    ...(prepMinutes !== undefined ? { prepMinutes } : {}),
    optionGroups: buildGroups(optionGroups, null),
    translations: canonicalTranslations(translations, "translations"),
  });
}

/**
 * The item after a patch. Groups and options sent with an id keep it (it must be one of the
 * item's); those without get new ones; `prepMinutes: null` removes it.
 */
export function patchedMenuItem(item: MenuItem, patch: UpdateMenuItemInput): MenuItem {
  const { prepMinutes, optionGroups, translations, ...fields } = patch;
  const next: MenuItem = { ...item };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (next as Record<string, unknown>)[key] = value;
  }
  if (prepMinutes === null) delete next.prepMinutes;
  else if (prepMinutes !== undefined) next.prepMinutes = prepMinutes;
  if (optionGroups !== undefined) next.optionGroups = buildGroups(optionGroups, item);
  if (translations !== undefined) {
    next.translations = canonicalTranslations(translations, "translations");
  }
  return checkedItem(next);
}

/** The item with one option's availability set, or null when it has no such option. */
export function withOptionAvailability(
  item: MenuItem,
  optionId: string,
  available: boolean,
): MenuItem | null {
  let found = false;
  const optionGroups = item.optionGroups.map((group) => ({
    ...group,
    options: group.options.map((option) => {
      if (option.id !== optionId) return option;
      found = true;
      return { ...option, available };
    }),
  }));
  return found ? { ...item, optionGroups } : null;
}

/**
 * An item as read from the store, with the fields added since v1 filled in (items written
 * before options existed have none of them; the v1 seed's `egg` is the EU code `eggs`).
 */
export function normalizeMenuItem(stored: MenuItem): MenuItem {
  if (
    stored.optionGroups && stored.dietary && stored.station && stored.translations
  ) return stored;
  return {
    ...stored,
    allergens: (stored.allergens ?? []).map((a) => (a as string) === "egg" ? "eggs" : a),
    dietary: stored.dietary ?? [],
    station: stored.station ?? "kitchen",
    optionGroups: stored.optionGroups ?? [],
    translations: stored.translations ?? {},
  };
}

/**
 * The options a guest must choose at the least: in each required group, its first `min`
 * available options. Null when a required group has too few available options.
 */
export function requiredChoice(item: MenuItem): string[] | null {
  const chosen: string[] = [];
  for (const group of item.optionGroups) {
    if (group.min === 0) continue;
    const available = group.options.filter((o) => o.available);
    if (available.length < group.min) return null;
    chosen.push(...available.slice(0, group.min).map((o) => o.id));
  }
  return chosen;
}

function buildGroups(input: OptionGroupInput[], before: MenuItem | null): OptionGroup[] {
  const groupIds = new Set(before?.optionGroups.map((g) => g.id));
  const optionIds = new Set(before?.optionGroups.flatMap((g) => g.options.map((o) => o.id)));
  const usedGroups = new Set<string>();
  const usedOptions = new Set<string>();
  const details: ErrorDetail[] = [];
  const groups = input.map((group, g): OptionGroup => {
    const path = `optionGroups.${g}`;
    const id = keptId(group.id, groupIds, usedGroups, `${path}.id`, details);
    const options = group.options.map((option, o): MenuOption => {
      const optionPath = `${path}.options.${o}`;
      const built: MenuOption = {
        id: keptId(option.id, optionIds, usedOptions, `${optionPath}.id`, details),
        name: option.name,
        priceDeltaCents: option.priceDeltaCents,
        available: option.available,
        allergens: option.allergens,
      };
      if (option.translations && Object.keys(option.translations).length) {
        built.translations = canonicalTranslations(
          option.translations,
          `${optionPath}.translations`,
        );
      }
      return built;
    });
    const built: OptionGroup = { id, name: group.name, min: group.min, max: group.max, options };
    if (group.translations && Object.keys(group.translations).length) {
      built.translations = canonicalTranslations(group.translations, `${path}.translations`);
    }
    return built;
  });
  if (details.length) throw invalid("Some option groups or options are not valid.", details);
  return groups;
}

/** A kept id (one of `known`, used once) or a fresh one; problems go to `details`. */
function keptId(
  id: string | undefined,
  known: ReadonlySet<string>,
  used: Set<string>,
  path: string,
  details: ErrorDetail[],
): string {
  if (id === undefined) {
    let fresh = newShortId();
    while (known.has(fresh) || used.has(fresh)) fresh = newShortId();
    used.add(fresh);
    return fresh;
  }
  if (!known.has(id)) {
    details.push({ path, message: `This item has no "${id}"; leave the id out to add one.` });
  } else if (used.has(id)) {
    details.push({ path, message: `"${id}" is sent twice.` });
  }
  used.add(id);
  return id;
}

/** Translations keyed by canonical tags; two keys for one language are refused. */
function canonicalTranslations<T>(
  translations: Record<string, T>,
  path: string,
): Record<string, T> {
  const out: Record<string, T> = {};
  const details: ErrorDetail[] = [];
  for (const [key, texts] of Object.entries(translations)) {
    const tag = canonicalTag(key);
    if (!tag) details.push({ path: `${path}.${key}`, message: "Not a BCP 47 language tag." });
    else if (Object.hasOwn(out, tag)) {
      details.push({ path: `${path}.${key}`, message: `A second translation for ${tag}.` });
    } else out[tag] = texts;
  }
  if (details.length) throw invalid("Some translations are not valid.", details);
  return out;
}

/** The item, if it meets the rules of a stored item; else a 422 (or 413 when too large). */
function checkedItem(item: MenuItem): MenuItem {
  let cheapest = item.priceCents;
  for (const group of item.optionGroups) {
    const deltas = group.options.map((o) => o.priceDeltaCents).sort((a, b) => a - b);
    deltas.forEach((delta, i) => {
      if (i < group.min || (i < group.max && delta < 0)) cheapest += delta;
    });
  }
  if (cheapest < 0) {
    throw invalid("Some choice of options would price this item below zero.", [{
      path: "optionGroups",
      message: `The cheapest choice comes to ${cheapest} cents.`,
    }]);
  }
  if (encodeJson(item).length > MAX_MENU_ITEM_BYTES) {
    throw tooLarge(
      `This item would take more than ${MAX_MENU_ITEM_BYTES} bytes; use fewer or shorter texts.`,
      "menu_item_too_large",
    );
  }
  return item;
}
