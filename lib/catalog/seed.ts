/** The demo restaurant seeded into an empty store on first start. */
import type { ChangeData } from "../feed/feed.ts";
import { newId } from "../kv/ids.ts";
import { addLocation, firstLocation, newLocation } from "./locations.ts";
import { putMenuItem } from "./menu.ts";
import type { CreateMenuItemInput, Location, MenuItem, Table } from "../schemas.ts";
import { addCatalogChanges } from "./service.ts";
import { addTable, newTable } from "./tables.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

const DEMO_MENU: CreateMenuItemInput[] = [
  item("Starters", "Tomato bruschetta", "Grilled sourdough, tomato, basil, garlic", 750, [
    "gluten",
  ]),
  item("Starters", "Burrata", "Burrata, roasted peppers, olive oil", 1150, ["milk"]),
  item("Starters", "Crispy calamari", "Lemon aioli", 1050, ["molluscs", "gluten", "egg"]),
  item("Starters", "Soup of the day", "Ask your server", 650, ["celery"]),
  item("Mains", "Margherita pizza", "Tomato, mozzarella, basil", 1250, ["gluten", "milk"]),
  item("Mains", "Mushroom risotto", "Porcini, parmesan, thyme", 1650, ["milk"]),
  item("Mains", "Grilled sea bass", "Fennel, salsa verde, new potatoes", 2250, ["fish"]),
  item("Mains", "Steak frites", "Flat iron, fries, peppercorn sauce", 2450, ["milk", "mustard"]),
  item("Mains", "Vegan bowl", "Quinoa, roasted squash, tahini", 1450, ["sesame"], false),
  item("Desserts", "Tiramisu", "Mascarpone, espresso, cocoa", 750, ["milk", "egg", "gluten"]),
  item("Desserts", "Lemon sorbet", "Two scoops", 550, []),
  item("Desserts", "Chocolate fondant", "Vanilla ice cream", 850, ["milk", "egg", "gluten"]),
  item("Drinks", "Sparkling water", "75 cl", 450, []),
  item("Drinks", "House lemonade", "Fresh lemons, mint", 500, []),
  item("Drinks", "Espresso", "Single shot", 300, []),
  item("Drinks", "Glass of house red", "15 cl", 700, ["sulphites"]),
];

/**
 * Seeds the demo location, its menu and 12 tables when the store has no location yet, in one
 * atomic commit: a crash leaves either the whole demo or nothing. Returns null when there was
 * nothing to do, also when another process starting on the same empty store (Deno Deploy starts
 * several) claimed the `demo` slug first: that one seeded it.
 */
export async function seedDemo(
  kv: Deno.Kv,
  options: { retentionMs?: number } = {},
): Promise<Location | null> {
  if (await firstLocation(kv)) return null;
  const location = newLocation({
    slug: "demo",
    name: "SeatServe Demo Bistro",
    currency: "EUR",
    defaultLanguage: "en",
  });
  // One check (the slug) however many tables: a denokv server allows 10 checks an op.
  const op = addLocation(kv.atomic(), location);
  const items: MenuItem[] = DEMO_MENU.map((menuItem) => ({ id: newId(), ...menuItem }));
  for (const menuItem of items) putMenuItem(op, location.id, menuItem);
  const tables: Table[] = [];
  for (let number = 1; number <= 12; number++) {
    const seats = number % 3 === 0 ? 6 : number % 2 === 0 ? 4 : 2;
    tables.push(newTable(location.id, { number, seats }));
  }
  for (const table of tables) addTable(op, table);
  const others: ChangeData[] = [
    { type: "location", location },
    ...items.map((item): ChangeData => ({ type: "menu_item", item, deleted: false })),
    ...tables.map((table): ChangeData => ({ type: "table", table, deleted: false })),
  ];
  addCatalogChanges(op, kv, location.id, {
    others,
    retentionMs: options.retentionMs ?? 7 * DAY_MS,
  });
  const result = await op.commit();
  return result.ok ? location : null;
}

function item(
  category: string,
  name: string,
  description: string,
  priceCents: number,
  allergens: string[],
  available = true,
): CreateMenuItemInput {
  return { category, name, description, priceCents, allergens, available };
}
