/** The demo restaurant seeded into an empty store on first start. */
import type { ChangeData } from "../feed/feed.ts";
import { newId } from "../kv/ids.ts";
import { addLocation, firstLocation, newLocation } from "./locations.ts";
import { putMenuItem } from "./menu.ts";
import {
  type Allergen,
  CreateMenuItemInput,
  type Location,
  type MenuItem,
  type Table,
} from "../schemas.ts";
import { newMenuItem } from "./options.ts";
import { addCatalogChanges } from "./service.ts";
import { addTable, newTable } from "./tables.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** An option: English and German names, price delta, allergens it adds, 86'd when false. */
type DemoOption = [
  en: string,
  de: string,
  deltaCents: number,
  allergens?: Allergen[],
  available?: boolean,
];

interface DemoGroup {
  en: string;
  de: string;
  min: number;
  max: number;
  options: DemoOption[];
}

interface DemoItem {
  en: [name: string, description: string];
  de: [name: string, description: string];
  priceCents: number;
  allergens: Allergen[];
  dietary: string[];
  prepMinutes: number;
  available?: boolean;
  groups?: DemoGroup[];
}

interface DemoCategory {
  en: string;
  de: string;
  station: string;
  items: DemoItem[];
}

const COOKING: DemoGroup = {
  en: "Cooking",
  de: "Garstufe",
  min: 1,
  max: 1,
  options: [
    ["Rare", "Blutig", 0],
    ["Medium rare", "Rosa", 0],
    ["Medium", "Medium", 0],
    ["Well done", "Durchgebraten", 0],
  ],
};
const SIDE: DemoGroup = {
  en: "Side",
  de: "Beilage",
  min: 1,
  max: 1,
  options: [
    ["Fries", "Pommes frites", 0],
    ["New potatoes", "Neue Kartoffeln", 0],
    ["Green salad", "Grüner Salat", 0, ["mustard"]],
    ["Sweet potato fries", "Süßkartoffel-Pommes", 150],
  ],
};
const PIZZA_SIZE: DemoGroup = {
  en: "Size",
  de: "Größe",
  min: 1,
  max: 1,
  options: [["Regular (30 cm)", "Normal (30 cm)", 0], ["Large (36 cm)", "Groß (36 cm)", 400]],
};
const PIZZA_TOPPINGS: DemoGroup = {
  en: "Extra toppings",
  de: "Extra Beläge",
  min: 0,
  max: 3,
  options: [
    ["Mushrooms", "Champignons", 150],
    ["Salami", "Salami", 200, ["mustard"]],
    ["Olives", "Oliven", 100],
    ["Extra mozzarella", "Extra Mozzarella", 200, ["milk"]],
    ["Rocket", "Rucola", 100],
  ],
};
const MILK: DemoGroup = {
  en: "Milk",
  de: "Milch",
  min: 0,
  max: 1,
  options: [
    ["Oat milk", "Hafermilch", 50, ["gluten"]],
    ["Soy milk", "Sojamilch", 50, ["soybeans"]],
    ["Lactose-free milk", "Laktosefreie Milch", 0, ["milk"]],
  ],
};

/**
 * The demo restaurant's menu: five categories, three stations (kitchen, grill, bar), English and
 * German, allergens (EU codes) and dietary tags on every item, required and optional option
 * groups, one item and one option 86'd.
 */
const DEMO_MENU: DemoCategory[] = [
  {
    en: "Starters",
    de: "Vorspeisen",
    station: "kitchen",
    items: [
      {
        en: ["Tomato bruschetta", "Grilled sourdough, tomato, basil, garlic"],
        de: ["Tomaten-Bruschetta", "Geröstetes Sauerteigbrot, Tomate, Basilikum, Knoblauch"],
        priceCents: 750,
        allergens: ["gluten"],
        dietary: ["vegan"],
        prepMinutes: 8,
      },
      {
        en: ["Burrata", "Burrata, roasted peppers, olive oil"],
        de: ["Burrata", "Burrata, geröstete Paprika, Olivenöl"],
        priceCents: 1150,
        allergens: ["milk"],
        dietary: ["vegetarian", "gluten-free"],
        prepMinutes: 6,
        groups: [{
          en: "Add",
          de: "Dazu",
          min: 0,
          max: 1,
          options: [["Toasted sourdough", "Geröstetes Sauerteigbrot", 200, ["gluten"]]],
        }],
      },
      {
        en: ["Crispy calamari", "Lemon aioli"],
        de: ["Knusprige Calamari", "Zitronen-Aioli"],
        priceCents: 1050,
        allergens: ["molluscs", "gluten", "eggs"],
        dietary: ["dairy-free"],
        prepMinutes: 10,
      },
      {
        en: ["Tomato soup", "Slow-roasted tomatoes, basil oil"],
        de: ["Tomatensuppe", "Langsam geröstete Tomaten, Basilikumöl"],
        priceCents: 650,
        allergens: ["celery"],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 5,
        groups: [{
          en: "Extras",
          de: "Extras",
          min: 0,
          max: 2,
          options: [
            ["Croutons", "Croûtons", 50, ["gluten"]],
            ["Sour cream", "Sauerrahm", 80, ["milk"]],
          ],
        }],
      },
      {
        en: ["Chicken wings", "Six wings, celery sticks"],
        de: ["Chicken Wings", "Sechs Flügel, Selleriesticks"],
        priceCents: 950,
        allergens: ["celery"],
        dietary: ["gluten-free", "dairy-free"],
        prepMinutes: 12,
        groups: [{
          en: "Sauce",
          de: "Soße",
          min: 1,
          max: 1,
          options: [
            ["Buffalo", "Buffalo", 0],
            ["Smoky barbecue", "Rauchige Barbecue-Soße", 0, ["mustard"]],
            ["Honey garlic", "Honig-Knoblauch", 0],
          ],
        }],
      },
      {
        en: ["Hummus", "Chickpeas, tahini, warm flatbread"],
        de: ["Hummus", "Kichererbsen, Tahini, warmes Fladenbrot"],
        priceCents: 850,
        allergens: ["sesame", "gluten"],
        dietary: ["vegan"],
        prepMinutes: 5,
      },
      {
        en: ["Garden salad", "Leaves, cucumber, radish, mustard vinaigrette"],
        de: ["Gartensalat", "Blattsalate, Gurke, Radieschen, Senf-Vinaigrette"],
        priceCents: 800,
        allergens: ["mustard"],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 5,
        groups: [{
          en: "Add",
          de: "Dazu",
          min: 0,
          max: 2,
          options: [
            ["Goat cheese", "Ziegenkäse", 250, ["milk"]],
            ["Grilled halloumi", "Gegrillter Halloumi", 300, ["milk"]],
            ["Toasted seeds", "Geröstete Kerne", 100, ["sesame"]],
          ],
        }],
      },
    ],
  },
  {
    en: "Mains",
    de: "Hauptgerichte",
    station: "kitchen",
    items: [
      {
        en: ["Margherita pizza", "Tomato, mozzarella, basil"],
        de: ["Pizza Margherita", "Tomate, Mozzarella, Basilikum"],
        priceCents: 1250,
        allergens: ["gluten", "milk"],
        dietary: ["vegetarian"],
        prepMinutes: 12,
        groups: [PIZZA_SIZE, PIZZA_TOPPINGS],
      },
      {
        en: ["Diavola pizza", "Tomato, mozzarella, spicy salami, chilli"],
        de: ["Pizza Diavola", "Tomate, Mozzarella, scharfe Salami, Chili"],
        priceCents: 1450,
        allergens: ["gluten", "milk", "mustard"],
        dietary: ["spicy"],
        prepMinutes: 12,
        groups: [PIZZA_SIZE, PIZZA_TOPPINGS],
      },
      {
        en: ["Mushroom risotto", "Porcini, parmesan, thyme"],
        de: ["Pilzrisotto", "Steinpilze, Parmesan, Thymian"],
        priceCents: 1650,
        allergens: ["milk", "celery", "sulphites"],
        dietary: ["vegetarian", "gluten-free"],
        prepMinutes: 18,
      },
      {
        en: ["Grilled sea bass", "Fennel, salsa verde"],
        de: ["Gegrillter Wolfsbarsch", "Fenchel, Salsa verde"],
        priceCents: 2250,
        allergens: ["fish"],
        dietary: ["pescatarian", "gluten-free", "dairy-free"],
        prepMinutes: 16,
        groups: [SIDE],
      },
      {
        en: ["Penne arrabbiata", "Tomato, garlic, chilli, parsley"],
        de: ["Penne all'arrabbiata", "Tomate, Knoblauch, Chili, Petersilie"],
        priceCents: 1350,
        allergens: ["gluten"],
        dietary: ["vegan", "spicy"],
        prepMinutes: 12,
        groups: [{
          en: "Add",
          de: "Dazu",
          min: 0,
          max: 1,
          options: [["Parmesan", "Parmesan", 150, ["milk"]]],
        }],
      },
      {
        en: ["Vegan bowl", "Quinoa, roasted squash, tahini"],
        de: ["Veganer Bowl", "Quinoa, gerösteter Kürbis, Tahini"],
        priceCents: 1450,
        allergens: ["sesame", "soybeans"],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 10,
        available: false,
      },
      {
        en: ["Chicken curry", "Cashew and tomato sauce, coriander"],
        de: ["Hähnchen-Curry", "Cashew-Tomaten-Soße, Koriander"],
        priceCents: 1650,
        allergens: ["milk", "nuts", "mustard"],
        dietary: ["gluten-free", "spicy"],
        prepMinutes: 15,
        groups: [
          {
            en: "Spice level",
            de: "Schärfe",
            min: 1,
            max: 1,
            options: [["Mild", "Mild", 0], ["Medium", "Mittel", 0], ["Hot", "Scharf", 0]],
          },
          {
            en: "Sides",
            de: "Beilagen",
            min: 0,
            max: 2,
            options: [
              ["Basmati rice", "Basmatireis", 0],
              ["Garlic naan", "Knoblauch-Naan", 250, ["gluten", "milk"]],
              ["Mango chutney", "Mango-Chutney", 100, ["mustard"]],
            ],
          },
        ],
      },
      {
        en: ["Fish and chips", "Beer-battered cod, chips, lemon"],
        de: ["Fish and Chips", "Kabeljau im Bierteig, Pommes, Zitrone"],
        priceCents: 1750,
        allergens: ["fish", "gluten"],
        dietary: ["pescatarian", "dairy-free"],
        prepMinutes: 14,
        groups: [{
          en: "Sauce",
          de: "Soße",
          min: 0,
          max: 2,
          options: [
            ["Tartare sauce", "Remoulade", 0, ["eggs", "mustard"]],
            ["Mushy peas", "Erbsenpüree", 150],
            ["Curry sauce", "Currysoße", 100, ["celery"]],
          ],
        }],
      },
    ],
  },
  {
    en: "From the grill",
    de: "Vom Grill",
    station: "grill",
    items: [
      {
        en: ["Classic burger", "Beef patty, lettuce, tomato, pickles, onions, house sauce"],
        de: ["Klassischer Burger", "Rindfleisch, Salat, Tomate, Gurken, Zwiebeln, Haussoße"],
        priceCents: 1550,
        allergens: ["gluten", "eggs", "mustard", "sesame"],
        dietary: ["dairy-free"],
        prepMinutes: 14,
        groups: [
          COOKING,
          {
            en: "Extras",
            de: "Extras",
            min: 0,
            max: 3,
            options: [
              ["Cheddar", "Cheddar", 150, ["milk"]],
              ["Bacon", "Speck", 200],
              ["Fried egg", "Spiegelei", 150, ["eggs"]],
              ["Jalapeños", "Jalapeños", 100],
            ],
          },
          {
            en: "Leave out",
            de: "Ohne",
            min: 0,
            max: 3,
            options: [
              ["No onions", "Ohne Zwiebeln", 0],
              ["No pickles", "Ohne Gurken", 0],
              ["No sauce", "Ohne Soße", 0],
            ],
          },
        ],
      },
      {
        en: ["Veggie burger", "Black bean patty, avocado, tomato, vegan mayo"],
        de: ["Veggie-Burger", "Bohnen-Patty, Avocado, Tomate, vegane Mayo"],
        priceCents: 1450,
        allergens: ["gluten", "soybeans", "sesame", "mustard"],
        dietary: ["vegan"],
        prepMinutes: 12,
        groups: [{
          en: "Extras",
          de: "Extras",
          min: 0,
          max: 2,
          options: [
            ["Vegan cheese", "Veganer Käse", 150],
            ["Grilled mushrooms", "Gegrillte Pilze", 150],
          ],
        }],
      },
      {
        en: ["Steak frites", "Flat iron steak, fries, choice of sauce"],
        de: ["Steak frites", "Flat-Iron-Steak, Pommes frites, Soße nach Wahl"],
        priceCents: 2450,
        allergens: ["mustard"],
        dietary: ["gluten-free"],
        prepMinutes: 18,
        groups: [
          COOKING,
          {
            en: "Sauce",
            de: "Soße",
            min: 1,
            max: 1,
            options: [
              ["Peppercorn", "Pfeffersoße", 0, ["milk"]],
              ["Béarnaise", "Béarnaise", 0, ["eggs", "milk"], false],
              ["Chimichurri", "Chimichurri", 0],
            ],
          },
        ],
      },
      {
        en: ["Half chicken", "Lemon and thyme, grilled over charcoal"],
        de: ["Halbes Hähnchen", "Zitrone und Thymian, über Holzkohle gegrillt"],
        priceCents: 1850,
        allergens: ["celery"],
        dietary: ["gluten-free", "dairy-free"],
        prepMinutes: 20,
        groups: [SIDE],
      },
      {
        en: ["Lamb skewers", "Yoghurt, sumac, flatbread"],
        de: ["Lammspieße", "Joghurt, Sumach, Fladenbrot"],
        priceCents: 1950,
        allergens: ["milk", "gluten", "sesame"],
        dietary: ["halal"],
        prepMinutes: 15,
      },
      {
        en: ["Halloumi skewers", "Peppers, red onion, herb oil"],
        de: ["Halloumi-Spieße", "Paprika, rote Zwiebel, Kräuteröl"],
        priceCents: 1550,
        allergens: ["milk"],
        dietary: ["vegetarian", "gluten-free"],
        prepMinutes: 12,
        groups: [SIDE],
      },
    ],
  },
  {
    en: "Desserts",
    de: "Desserts",
    station: "kitchen",
    items: [
      {
        en: ["Tiramisu", "Mascarpone, espresso, cocoa"],
        de: ["Tiramisu", "Mascarpone, Espresso, Kakao"],
        priceCents: 750,
        allergens: ["milk", "eggs", "gluten"],
        dietary: ["vegetarian"],
        prepMinutes: 3,
      },
      {
        en: ["Lemon sorbet", "Sicilian lemons"],
        de: ["Zitronensorbet", "Sizilianische Zitronen"],
        priceCents: 550,
        allergens: [],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 2,
        groups: [{
          en: "Scoops",
          de: "Kugeln",
          min: 1,
          max: 1,
          options: [["Two scoops", "Zwei Kugeln", 0], ["Three scoops", "Drei Kugeln", 200]],
        }],
      },
      {
        en: ["Chocolate fondant", "Warm, with a molten centre"],
        de: ["Schokoladenfondant", "Warm, mit flüssigem Kern"],
        priceCents: 850,
        allergens: ["milk", "eggs", "gluten"],
        dietary: ["vegetarian"],
        prepMinutes: 14,
        groups: [{
          en: "Served with",
          de: "Serviert mit",
          min: 0,
          max: 1,
          options: [
            ["Vanilla ice cream", "Vanilleeis", 150, ["milk"]],
            ["Whipped cream", "Schlagsahne", 100, ["milk"]],
          ],
        }],
      },
      {
        en: ["Crème brûlée", "Vanilla custard, caramelised sugar"],
        de: ["Crème brûlée", "Vanillecreme, karamellisierter Zucker"],
        priceCents: 750,
        allergens: ["milk", "eggs"],
        dietary: ["vegetarian", "gluten-free"],
        prepMinutes: 3,
      },
      {
        en: ["Apple crumble", "Bramley apples, almond crumble"],
        de: ["Apfel-Crumble", "Äpfel, Mandelstreusel"],
        priceCents: 750,
        allergens: ["gluten", "milk", "nuts"],
        dietary: ["vegetarian"],
        prepMinutes: 8,
        groups: [{
          en: "Served with",
          de: "Serviert mit",
          min: 0,
          max: 1,
          options: [
            ["Custard", "Vanillesoße", 100, ["milk", "eggs"]],
            ["Vanilla ice cream", "Vanilleeis", 150, ["milk"]],
          ],
        }],
      },
      {
        en: ["Cheese board", "Three cheeses, grapes, crackers, chutney"],
        de: ["Käseplatte", "Drei Käse, Trauben, Cracker, Chutney"],
        priceCents: 1250,
        allergens: ["milk", "gluten", "sulphites"],
        dietary: ["vegetarian"],
        prepMinutes: 5,
      },
    ],
  },
  {
    en: "Drinks",
    de: "Getränke",
    station: "bar",
    items: [
      {
        en: ["Sparkling water", "75 cl"],
        de: ["Mineralwasser mit Kohlensäure", "75 cl"],
        priceCents: 450,
        allergens: [],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 1,
      },
      {
        en: ["House lemonade", "Fresh lemons, mint"],
        de: ["Hausgemachte Limonade", "Frische Zitronen, Minze"],
        priceCents: 500,
        allergens: [],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 2,
        groups: [{
          en: "Ice",
          de: "Eis",
          min: 0,
          max: 1,
          options: [["No ice", "Ohne Eis", 0]],
        }],
      },
      {
        en: ["Espresso", "Single origin"],
        de: ["Espresso", "Aus einer Herkunft"],
        priceCents: 300,
        allergens: [],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 2,
        groups: [{
          en: "Shots",
          de: "Shots",
          min: 0,
          max: 1,
          options: [["Double shot", "Doppelter Espresso", 100]],
        }],
      },
      {
        en: ["Cappuccino", "Espresso, steamed milk"],
        de: ["Cappuccino", "Espresso, aufgeschäumte Milch"],
        priceCents: 400,
        allergens: ["milk"],
        dietary: ["vegetarian", "gluten-free"],
        prepMinutes: 3,
        groups: [MILK],
      },
      {
        en: ["Fresh orange juice", "Squeezed to order"],
        de: ["Frischer Orangensaft", "Frisch gepresst"],
        priceCents: 550,
        allergens: [],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 3,
      },
      {
        en: ["Glass of house wine", "Our house selection"],
        de: ["Glas Hauswein", "Unsere Hausauswahl"],
        priceCents: 700,
        allergens: ["sulphites"],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 1,
        groups: [
          {
            en: "Wine",
            de: "Wein",
            min: 1,
            max: 1,
            options: [
              ["Red", "Rot", 0],
              ["White", "Weiß", 0],
              ["Rosé", "Rosé", 0, [], false],
            ],
          },
          {
            en: "Glass",
            de: "Glas",
            min: 1,
            max: 1,
            options: [["15 cl", "15 cl", 0], ["25 cl", "25 cl", 450]],
          },
        ],
      },
      {
        en: ["Craft lager", "Brewed locally"],
        de: ["Craft-Lager", "Aus der Region"],
        priceCents: 550,
        allergens: ["gluten"],
        dietary: ["vegan", "dairy-free"],
        prepMinutes: 1,
        groups: [{
          en: "Size",
          de: "Größe",
          min: 1,
          max: 1,
          options: [["0.33 l", "0,33 l", 0], ["0.5 l", "0,5 l", 200]],
        }],
      },
      {
        en: ["Gin and tonic", "London dry gin, tonic, lime"],
        de: ["Gin Tonic", "London Dry Gin, Tonic, Limette"],
        priceCents: 950,
        allergens: [],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 2,
        groups: [{
          en: "Tonic",
          de: "Tonic",
          min: 0,
          max: 1,
          options: [["Light tonic", "Leichtes Tonic", 0]],
        }],
      },
      {
        en: ["Cola", "33 cl bottle"],
        de: ["Cola", "33-cl-Flasche"],
        priceCents: 400,
        allergens: [],
        dietary: ["vegan", "gluten-free"],
        prepMinutes: 1,
      },
    ],
  },
];

/** The demo menu as inputs of the catalog writer, validated by the same schema as the API. */
function demoMenu(): CreateMenuItemInput[] {
  const inputs: CreateMenuItemInput[] = [];
  for (const category of DEMO_MENU) {
    for (const item of category.items) {
      inputs.push(CreateMenuItemInput.parse({
        name: item.en[0],
        description: item.en[1],
        priceCents: item.priceCents,
        category: category.en,
        available: item.available ?? true,
        allergens: item.allergens,
        dietary: item.dietary,
        station: category.station,
        prepMinutes: item.prepMinutes,
        optionGroups: (item.groups ?? []).map((group) => ({
          name: group.en,
          min: group.min,
          max: group.max,
          translations: { de: { name: group.de } },
          options: group.options.map(([en, de, priceDeltaCents, allergens, available]) => ({
            name: en,
            priceDeltaCents,
            allergens: allergens ?? [],
            available: available ?? true,
            translations: { de: { name: de } },
          })),
        })),
        translations: { de: { name: item.de[0], description: item.de[1], category: category.de } },
      }));
    }
  }
  return inputs;
}

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
    languages: ["en", "de"],
  });
  // One check (the slug) however many tables: a denokv server allows 10 checks an op.
  const op = addLocation(kv.atomic(), location);
  const items: MenuItem[] = demoMenu().map((input) => newMenuItem(newId(), input));
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
