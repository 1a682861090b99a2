/**
 * What the benchmarks order: the demo location's tables and orderable items read from a running
 * server, and valid order bodies made from them as guests would send them (options chosen as the
 * items' groups require, notes, quantities), seeded so that every run sends the same ones.
 */
import { getJson } from "./server.ts";

export interface FixtureOption {
  id: string;
  available: boolean;
}

export interface FixtureItem {
  id: string;
  /** Absent on a tree older than option groups. */
  optionGroups?: { min: number; max: number; options: FixtureOption[] }[];
}

export interface Fixture {
  locationId: string;
  tableTokens: string[];
  /** The available items that can be ordered (their required groups have enough options). */
  items: FixtureItem[];
  /** The languages the menu is offered in (absent on a tree older than languages). */
  languages: string[];
}

export async function readFixture(base: string, token: string): Promise<Fixture> {
  const auth = { authorization: `Bearer ${token}` };
  const tables = await getJson(`${base}/api/tables`, auth) as { tables: { token: string }[] };
  const menu = await getJson(`${base}/api/menu?location=demo`) as {
    location: { id: string; languages?: string[] };
    items: (FixtureItem & { available: boolean })[];
  };
  return {
    locationId: menu.location.id,
    tableTokens: tables.tables.map((t) => t.token),
    items: menu.items.filter((i) =>
      i.available &&
      (i.optionGroups ?? []).every((g) => g.options.filter((o) => o.available).length >= g.min)
    ),
    languages: menu.location.languages ?? ["en"],
  };
}

/**
 * Valid orders of 1-4 lines, varied in table, items, quantities, notes and options (seeded,
 * repeatable). Each line chooses what its item's required groups ask (`min` available options,
 * at random) and, one time in four, one option of each optional group, as guests do. `plain`
 * orders only items without option groups (the menu before it had options), to measure what
 * options cost.
 */
export function orderBodies(
  fixture: Fixture,
  count: number,
  options: { plain?: boolean } = {},
): string[] {
  const random = seededRandom(42);
  // Plain: only items without option groups, as every item was before the menu had options.
  const orderable = options.plain
    ? fixture.items.filter((i) => (i.optionGroups ?? []).length === 0)
    : fixture.items;
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const notes = ["", "", "", "no onions", "extra crispy", "allergic to nuts", "sans gluten, merci"];
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const lines = 1 + Math.floor(random() * 4);
    const items = Array.from({ length: lines }, () => {
      const note = pick(notes);
      const item = pick(orderable);
      const options: string[] = [];
      for (const group of item.optionGroups ?? []) {
        const available = group.options.filter((o) => o.available).map((o) => o.id);
        const wanted = group.min > 0 ? group.min : random() < 0.25 ? 1 : 0;
        for (let n = 0; n < wanted; n++) {
          options.push(...available.splice(Math.floor(random() * available.length), 1));
        }
      }
      return {
        menuItemId: item.id,
        quantity: 1 + Math.floor(random() * 3),
        ...(options.length ? { options } : {}),
        ...(note ? { note } : {}),
      };
    });
    const note = random() < 0.2 ? pick(notes.filter(Boolean)) : "";
    bodies.push(JSON.stringify({
      tableToken: pick(fixture.tableTokens),
      items,
      ...(note ? { note } : {}),
    }));
  }
  return bodies;
}

/** The first available options of each of `item`'s required groups: the least a line must choose. */
export function requiredOptions(item: FixtureItem): string[] {
  return (item.optionGroups ?? []).flatMap((group) =>
    group.options.filter((o) => o.available).slice(0, group.min).map((o) => o.id)
  );
}

/** A repeatable pseudo-random sequence in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
