/**
 * The menu endpoints (routes/api/menu.ts) on the seeded demo restaurant, through `app.request()`:
 * allergen and diet filters (what is left out and that everything else is there), languages by
 * `?lang=` and `Accept-Language` with fallback, option groups managed and 86'd through the menu
 * endpoints, and placed orders that keep what they were ordered with.
 */
import assert from "node:assert/strict";
import { ALLERGENS, type MenuItem } from "../../lib/schemas.ts";
import {
  deviceToken,
  jsonHeaders,
  newTestServices,
  orderLine,
  OWNER_TOKEN,
  storedMenuItems as menuItems,
  tableToken,
  type TestServices,
  withoutEstimate,
} from "../fixtures.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function call(
  t: TestServices,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await t.app.request(path, {
    method,
    headers: { ...jsonHeaders(options.token), ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
  };
}

async function ok(reply: Promise<{ status: number; body: Json }>, status = 200): Promise<Json> {
  const { status: got, body } = await reply;
  assert.equal(got, status, JSON.stringify(body));
  return body;
}

async function withServices(fn: (t: TestServices) => Promise<void>): Promise<void> {
  const t = await newTestServices();
  try {
    await fn(t);
  } finally {
    t.close();
  }
}

/** What `?exclude=` must leave of an item: null when left out, else its options' ids kept. */
function expectedUnder(item: MenuItem, exclude: readonly string[]): string[] | null {
  if (item.allergens.some((a) => exclude.includes(a))) return null;
  const kept: string[] = [];
  for (const group of item.optionGroups) {
    const options = group.options.filter((o) => !o.allergens.some((a) => exclude.includes(a)));
    if (options.length < group.min) return null;
    kept.push(...options.map((o) => o.id));
  }
  return kept;
}

function optionIds(item: Json): string[] {
  return item.optionGroups.flatMap((g: Json) => g.options.map((o: Json) => o.id));
}

/** Categories list exactly the items, in order, with no empty category. */
function assertCategoriesMatch(menu: Json): void {
  assert.deepEqual(
    menu.categories.flatMap((c: Json) => c.itemIds),
    menu.items.map((i: Json) => i.id),
  );
  for (const category of menu.categories) assert.ok(category.itemIds.length > 0, category.name);
}

Deno.test("[menu] filters: ?exclude= and ?diet=", async (t) => {
  await withServices(async (s) => {
    const stored = await menuItems(s);

    await t.step(
      "each allergen: its items are absent and every other item is present",
      async () => {
        let excludedSomething = 0;
        for (const code of ALLERGENS) {
          const menu = await ok(call(s, "GET", `/api/menu?location=demo&exclude=${code}`));
          const expected = stored.flatMap((item) => {
            const kept = expectedUnder(item, [code]);
            return kept ? [[item.id, kept]] : [];
          });
          assert.deepEqual(
            menu.items.map((i: Json) => [i.id, optionIds(i)]),
            expected,
            `exclude=${code}`,
          );
          for (const item of menu.items) {
            assert.ok(!item.allergens.includes(code), `${item.name} has ${code}`);
            for (const group of item.optionGroups) {
              for (const option of group.options) assert.ok(!option.allergens.includes(code));
            }
          }
          assertCategoriesMatch(menu);
          if (expected.length < stored.length) excludedSomething++;
        }
        assert.ok(excludedSomething >= 10, `only ${excludedSomething} codes left anything out`);
      },
    );

    await t.step("several codes; an option that adds one goes, its item stays", async () => {
      const menu = await ok(call(s, "GET", "/api/menu?location=demo&exclude=milk,eggs"));
      const names = menu.items.map((i: Json) => i.name);
      assert.ok(!names.includes("Cappuccino") && !names.includes("Tiramisu"));
      const burger = menu.items.find((i: Json) => i.name === "Classic burger");
      assert.equal(burger, undefined, "the classic burger's bun has eggs");
      const steak = menu.items.find((i: Json) => i.name === "Steak frites");
      const sauces = steak.optionGroups.find((g: Json) => g.name === "Sauce");
      assert.deepEqual(sauces.options.map((o: Json) => o.name), ["Chimichurri"]);
      const expected = stored.filter((i) => expectedUnder(i, ["milk", "eggs"]) !== null);
      assert.deepEqual(names, expected.map((i) => i.name));
    });

    await t.step("diet: exactly the items carrying every tag", async () => {
      for (const diet of ["vegan", "vegetarian", "gluten-free", "vegan,gluten-free", "halal"]) {
        const tags = diet.split(",");
        const menu = await ok(call(s, "GET", `/api/menu?location=demo&diet=${diet}`));
        const expected = stored.filter((i) => tags.every((tag) => i.dietary.includes(tag)));
        assert.ok(expected.length > 0, diet);
        assert.deepEqual(menu.items.map((i: Json) => i.id), expected.map((i) => i.id), diet);
        assertCategoriesMatch(menu);
      }
      const none = await ok(call(s, "GET", "/api/menu?location=demo&diet=keto"));
      assert.deepEqual([none.items, none.categories], [[], []]);
    });

    await t.step("exclude and diet together", async () => {
      const menu = await ok(
        call(s, "GET", "/api/menu?location=demo&diet=vegetarian&exclude=gluten"),
      );
      const expected = stored.filter((i) =>
        i.dietary.includes("vegetarian") && expectedUnder(i, ["gluten"]) !== null
      );
      assert.deepEqual(menu.items.map((i: Json) => i.id), expected.map((i) => i.id));
    });

    await t.step("an unknown code or a malformed tag is a 400 naming the parameter", async () => {
      for (
        const [query, path] of [
          ["exclude=egg", "exclude"],
          ["exclude=milk,shellfish", "exclude"],
          ["exclude=MILK", "exclude"],
          ["diet=Vegan", "diet"],
          ["diet=no%20meat", "diet"],
        ]
      ) {
        const reply = await call(s, "GET", `/api/menu?location=demo&${query}`);
        assert.equal(reply.status, 400, query);
        assert.equal(reply.body.error.code, "invalid_parameters");
        assert.deepEqual(reply.body.error.details.map((d: Json) => d.path), [path], query);
      }
    });

    await t.step("each filter has its own ETag and 304; blank filters are none", async () => {
      const plain = await call(s, "GET", "/api/menu?location=demo");
      const filtered = await call(s, "GET", "/api/menu?location=demo&exclude=nuts");
      const reordered = await call(s, "GET", "/api/menu?location=demo&exclude=nuts,nuts");
      assert.notEqual(plain.headers.get("etag"), filtered.headers.get("etag"));
      assert.equal(reordered.headers.get("etag"), filtered.headers.get("etag"));
      const again = await s.app.request("/api/menu?location=demo&exclude=nuts", {
        headers: { "if-none-match": filtered.headers.get("etag")! },
      });
      assert.equal(again.status, 304);
      const blank = await call(s, "GET", "/api/menu?location=demo&exclude=&diet=");
      assert.equal(blank.headers.get("etag"), plain.headers.get("etag"));
      assert.deepEqual(blank.body, plain.body);
    });
  });
});

Deno.test("[menu] languages: ?lang=, then Accept-Language, then the default", async (t) => {
  await withServices(async (s) => {
    const stored = await menuItems(s);

    await t.step("?lang=de: every text German, and the answer says so", async () => {
      const reply = await call(s, "GET", "/api/menu?location=demo&lang=de");
      assert.equal(reply.status, 200);
      assert.equal(reply.body.lang, "de");
      assert.equal(reply.headers.get("content-language"), "de");
      assert.match(reply.headers.get("vary") ?? "", /accept-language/i);
      assert.deepEqual(reply.body.location.languages, ["en", "de"]);
      assert.deepEqual(
        reply.body.items.map((i: Json) => [i.name, i.description, i.category]),
        stored.map((i) => [
          i.translations.de.name,
          i.translations.de.description,
          i.translations.de.category,
        ]),
      );
      const groups = reply.body.items.flatMap((i: Json) => i.optionGroups);
      const storedGroups = stored.flatMap((i) => i.optionGroups);
      assert.deepEqual(
        groups.map((g: Json) => [g.name, g.options.map((o: Json) => o.name)]),
        storedGroups.map((g) => [
          g.translations!.de.name,
          g.options.map((o) => o.translations!.de.name),
        ]),
      );
      assert.deepEqual(reply.body.categories.map((c: Json) => c.name), [
        "Vorspeisen",
        "Hauptgerichte",
        "Vom Grill",
        "Desserts",
        "Getränke",
      ]);
      assert.ok(!("translations" in reply.body.items[0]), "a guest's menu carries no translations");
    });

    await t.step("the default language is the stored text, with its own ETag", async () => {
      const en = await call(s, "GET", "/api/menu?location=demo");
      const de = await call(s, "GET", "/api/menu?location=demo&lang=de");
      assert.equal(en.body.lang, "en");
      assert.deepEqual(en.body.items.map((i: Json) => i.name), stored.map((i) => i.name));
      assert.notEqual(en.headers.get("etag"), de.headers.get("etag"));
      assert.deepEqual(en.body.items.map((i: Json) => i.id), de.body.items.map((i: Json) => i.id));
    });

    await t.step("Accept-Language, by preference; ?lang= wins when offered", async () => {
      const cases: [string, Record<string, string>, string][] = [
        ["", { "accept-language": "de-DE,de;q=0.9,en;q=0.8" }, "de"],
        ["", { "accept-language": "fr-FR, fr;q=0.9" }, "en"],
        ["", { "accept-language": "fr, de;q=0.5, en;q=0.4" }, "de"],
        ["", { "accept-language": "en-GB" }, "en"],
        ["&lang=en", { "accept-language": "de" }, "en"],
        ["&lang=fr", { "accept-language": "de" }, "de"],
        ["&lang=DE-at", {}, "de"],
        ["&lang=fr", {}, "en"],
        ["&lang=", { "accept-language": "de" }, "de"],
      ];
      for (const [query, headers, lang] of cases) {
        const reply = await call(s, "GET", `/api/menu?location=demo${query}`, { headers });
        assert.equal(reply.status, 200);
        assert.equal(reply.body.lang, lang, `${query} ${JSON.stringify(headers)}`);
        assert.equal(reply.headers.get("content-language"), lang);
        assert.equal(
          reply.body.items[0].name,
          lang === "de" ? "Tomaten-Bruschetta" : "Tomato bruschetta",
        );
      }
      const byTable = await call(s, "GET", `/api/menu?table=${await tableToken(s, 3)}&lang=de`);
      assert.equal(byTable.body.lang, "de");
    });

    await t.step("field by field fallback to the default language", async () => {
      const item = await ok(
        call(s, "POST", "/api/menu/items", {
          token: OWNER_TOKEN,
          body: {
            name: "Daily special",
            description: "Ask your server",
            priceCents: 1400,
            category: "Specials",
            optionGroups: [{
              name: "Portion",
              min: 1,
              options: [{ name: "Half", translations: { de: { name: "Halbe" } } }, {
                name: "Full",
              }],
            }],
            translations: { de: { name: "Tagesgericht" } },
          },
        }),
        201,
      );
      const de = await ok(call(s, "GET", "/api/menu?location=demo&lang=de"));
      const shown = de.items.find((i: Json) => i.id === item.id);
      assert.deepEqual(
        [shown.name, shown.description, shown.category, shown.optionGroups[0].name],
        ["Tagesgericht", "Ask your server", "Specials", "Portion"],
      );
      assert.deepEqual(shown.optionGroups[0].options.map((o: Json) => o.name), ["Halbe", "Full"]);
      assert.equal(de.categories.at(-1).name, "Specials");
    });

    await t.step("a location's own languages and default", async () => {
      await ok(
        call(s, "POST", "/api/locations", {
          token: OWNER_TOKEN,
          body: {
            slug: "chez",
            name: "Chez Nous",
            currency: "EUR",
            defaultLanguage: "fr",
            languages: ["en", "FR"],
          },
        }),
        201,
      );
      const menu = await ok(call(s, "GET", "/api/menu?location=chez", {
        headers: { "accept-language": "de, it" },
      }));
      assert.deepEqual([menu.lang, menu.location.defaultLanguage, menu.location.languages], [
        "fr",
        "fr",
        ["fr", "en"],
      ]);
      const refused = await call(s, "POST", "/api/locations", {
        token: OWNER_TOKEN,
        body: { slug: "bad", name: "Bad", currency: "EUR", languages: ["english"] },
      });
      assert.equal(refused.status, 422);
      assert.deepEqual(refused.body.error.details.map((d: Json) => d.path), ["languages.0"]);
    });
  });
});

Deno.test("[menu] a location's languages changed after creation", async (t) => {
  await withServices(async (s) => {
    const locationId = s.location.id;
    const patch = (body: unknown, token = OWNER_TOKEN) =>
      call(s, "PATCH", `/api/locations/${locationId}`, { token, body });
    const stream = await s.app.request("/api/menu/stream?location=demo&lang=fr");
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    const nextMenu = async () => {
      let text = "";
      while (!/event: menu\ndata: .*\n\n/.test(text)) text += (await reader.read()).value;
      return JSON.parse(/event: menu\ndata: (.*)\n\n/.exec(text)![1]);
    };
    assert.equal((await nextMenu()).lang, "en", "French is not offered yet: the default");

    await t.step("French added: the menu answers in it, open streams follow", async () => {
      const changed = await ok(patch({ languages: ["de", "fr"] }));
      assert.equal(changed.defaultLanguage, "en");
      assert.deepEqual(changed.languages, ["en", "de", "fr"], "the default stays first");
      const fr = await ok(call(s, "GET", "/api/menu?location=demo&lang=fr"));
      assert.equal(fr.lang, "fr");
      assert.deepEqual(fr.location.languages, ["en", "de", "fr"]);
      // No French texts yet: every field falls back to the default language's.
      const en = await ok(call(s, "GET", "/api/menu?location=demo"));
      assert.deepEqual(fr.items.map((i: Json) => i.name), en.items.map((i: Json) => i.name));
      const pushed = await nextMenu();
      assert.equal(pushed.lang, "fr");
      assert.deepEqual(pushed.location.languages, ["en", "de", "fr"]);
    });

    await t.step("German taken out; its translations stay stored for later", async () => {
      await ok(patch({ languages: [], name: "Demo Bistro" }));
      const de = await ok(call(s, "GET", "/api/menu?location=demo&lang=de"));
      assert.equal(de.lang, "en");
      assert.equal(de.location.name, "Demo Bistro");
      const items = await ok(call(s, "GET", "/api/menu/items", { token: OWNER_TOKEN }));
      assert.ok(items.items.every((i: Json) => i.translations.de?.name), "kept");
      await ok(patch({ languages: ["de"] }));
      const back = await ok(call(s, "GET", "/api/menu?location=demo&lang=de"));
      assert.equal(back.items[0].name, "Tomaten-Bruschetta");
    });

    await t.step("bad input: a clear 4xx, nothing changed", async () => {
      const before = await ok(call(s, "GET", "/api/locations", { token: OWNER_TOKEN }));
      const cases: [unknown, number, string[]][] = [
        [{}, 422, [""]],
        [{ languages: ["english"] }, 422, ["languages.0"]],
        [{ defaultLanguage: "de" }, 422, ["defaultLanguage", ""]],
        [{ currency: "USD", name: "Y" }, 422, ["currency"]],
        [{ name: "" }, 422, ["name"]],
        [{ languages: Array.from({ length: 21 }, (_, i) => `x${i}`) }, 422, ["languages"]],
      ];
      for (const [body, status, paths] of cases) {
        const reply = await patch(body);
        assert.equal(reply.status, status, JSON.stringify(body));
        assert.deepEqual(
          reply.body.error.details.map((d: Json) => d.path),
          paths,
          JSON.stringify(body),
        );
      }
      const unknown = await call(s, "PATCH", "/api/locations/no-such-location", {
        token: OWNER_TOKEN,
        body: { name: "X" },
      });
      assert.equal(unknown.status, 404);
      const manager = await deviceToken(s, "manager");
      assert.equal((await patch({ name: "X" }, manager.token)).status, 403);
      assert.deepEqual(await ok(call(s, "GET", "/api/locations", { token: OWNER_TOKEN })), before);
    });

    await t.step("audited with what changed", async () => {
      const audit = await ok(
        call(s, "GET", "/api/audit?action=location.update", { token: OWNER_TOKEN }),
      );
      assert.equal(audit.entries.length, 3);
      const [last, , first] = audit.entries;
      const name = s.location.name;
      assert.deepEqual(first.before, { name, languages: ["en", "de"] });
      assert.deepEqual(first.after, { name, languages: ["en", "de", "fr"] });
      assert.deepEqual(last.after, { name: "Demo Bistro", languages: ["en", "de"] });
      assert.deepEqual(last.target, { type: "location", id: locationId });
      assert.equal(last.actor.type, "bootstrap");
    });
    await reader.cancel();
  });
});

Deno.test("[menu] option groups through the menu endpoints", async (t) => {
  await withServices(async (s) => {
    const manager = (await deviceToken(s, "manager")).token;
    const kitchen = (await deviceToken(s, "kitchen")).token;
    const server = (await deviceToken(s, "server")).token;
    let item: Json;

    await t.step("POST with groups: 201, ids made by the server, read back as stored", async () => {
      item = await ok(
        call(s, "POST", "/api/menu/items", {
          token: manager,
          body: {
            name: "Smash burger",
            priceCents: 1300,
            category: "From the grill",
            allergens: ["gluten", "sesame"],
            dietary: ["dairy-free"],
            station: "grill",
            prepMinutes: 9,
            optionGroups: [
              {
                name: "Cooking",
                min: 1,
                max: 1,
                options: [{ name: "Pink" }, { name: "Through" }],
              },
              {
                name: "Extras",
                max: 2,
                options: [
                  { name: "Bacon", priceDeltaCents: 200 },
                  { name: "Cheese", priceDeltaCents: 150, allergens: ["milk"] },
                ],
              },
            ],
            translations: { de: { name: "Smash-Burger" } },
          },
        }),
        201,
      );
      assert.equal(item.optionGroups.length, 2);
      const listed = await ok(call(s, "GET", "/api/menu/items", { token: kitchen }));
      assert.deepEqual(listed.items.find((i: Json) => i.id === item.id), item);
      assert.deepEqual(listed.items.map((i: Json) => i.id), (await menuItems(s)).map((i) => i.id));
      assert.equal((await call(s, "GET", "/api/menu/items", { token: server })).status, 403);
      assert.equal((await call(s, "GET", "/api/menu/items")).status, 401);
    });

    await t.step("an order with options: priced by the server; rule breaches are 422", async () => {
      const [cooking, extras] = item.optionGroups;
      const table = await tableToken(s, 2);
      const placed = await ok(
        call(s, "POST", "/api/orders", {
          body: {
            tableToken: table,
            items: [{
              menuItemId: item.id,
              quantity: 2,
              options: [extras.options[1].id, cooking.options[0].id, extras.options[0].id],
              note: "no onions",
            }],
          },
        }),
        201,
      );
      assert.deepEqual(placed.items, [{
        menuItemId: item.id,
        name: "Smash burger",
        quantity: 2,
        unitPriceCents: 1300 + 200 + 150,
        lineTotalCents: (1300 + 350) * 2,
        note: "no onions",
        options: [
          {
            groupId: cooking.id,
            group: "Cooking",
            optionId: cooking.options[0].id,
            name: "Pink",
            priceDeltaCents: 0,
          },
          {
            groupId: extras.id,
            group: "Extras",
            optionId: extras.options[0].id,
            name: "Bacon",
            priceDeltaCents: 200,
          },
          {
            groupId: extras.id,
            group: "Extras",
            optionId: extras.options[1].id,
            name: "Cheese",
            priceDeltaCents: 150,
          },
        ],
        station: "grill",
        readyAt: null,
      }]);
      assert.equal(placed.totalCents, 3300);
      const missing = await call(s, "POST", "/api/orders", {
        body: { tableToken: table, items: [{ menuItemId: item.id, quantity: 1 }] },
      });
      assert.equal(missing.status, 422);
      assert.equal(missing.body.error.code, "invalid_options");
      assert.deepEqual(missing.body.error.details, [{
        path: "items.0.options",
        message: 'Choose 1 of "Cooking".',
      }]);
    });

    await t.step("a placed order keeps its names and prices through later edits", async () => {
      const [cooking, extras] = item.optionGroups;
      const table = await tableToken(s, 4);
      const before = await ok(
        call(s, "POST", "/api/orders", {
          body: {
            tableToken: table,
            items: [{
              menuItemId: item.id,
              quantity: 1,
              options: [cooking.options[1].id, extras.options[0].id],
            }],
          },
        }),
        201,
      );
      const edited = await ok(call(s, "PATCH", `/api/menu/items/${item.id}`, {
        token: manager,
        body: {
          name: "Smash burger deluxe",
          priceCents: 1500,
          station: "kitchen",
          optionGroups: [
            {
              id: cooking.id,
              name: "Done",
              min: 1,
              options: cooking.options.map((o: Json) => ({ id: o.id, name: `${o.name}!` })),
            },
            {
              id: extras.id,
              name: "Add-ons",
              max: 2,
              options: [{ id: extras.options[0].id, name: "Streaky bacon", priceDeltaCents: 275 }],
            },
          ],
        },
      }));
      assert.deepEqual(edited.optionGroups.map((g: Json) => g.id), [cooking.id, extras.id]);
      assert.deepEqual(edited.optionGroups[1].options.map((o: Json) => o.id), [
        extras.options[0].id,
      ]);
      const { orderToken, ...created } = before;
      const reread = await ok(call(s, "GET", `/api/orders/${before.id}?token=${orderToken}`));
      // Its estimate is derived (the edit moved the item to another station); the rest is kept.
      assert.deepEqual(
        withoutEstimate(reread),
        withoutEstimate(created, { created: true }),
        "the placed order is exactly as it was",
      );
      const after = await ok(
        call(s, "POST", "/api/orders", {
          body: {
            tableToken: table,
            items: [{
              menuItemId: item.id,
              quantity: 1,
              options: [cooking.options[1].id, extras.options[0].id],
            }],
          },
        }),
        201,
      );
      assert.deepEqual(
        [
          after.items[0].name,
          after.items[0].unitPriceCents,
          after.items[0].station,
          after.items[0].options.map((o: Json) => [o.group, o.name, o.priceDeltaCents]),
        ],
        ["Smash burger deluxe", 1775, "kitchen", [["Done", "Through!", 0], [
          "Add-ons",
          "Streaky bacon",
          275,
        ]]],
      );
      item = edited;
      // The removed option is unknown now.
      const removed = await call(s, "POST", "/api/orders", {
        body: {
          tableToken: table,
          items: [{
            menuItemId: item.id,
            quantity: 1,
            options: [cooking.options[0].id, extras.options[1].id],
          }],
        },
      });
      assert.equal(removed.status, 422);
    });

    await t.step("the kitchen 86es an option: refused in orders, greyed on the menu", async () => {
      const [cooking, extras] = item.optionGroups;
      const bacon = extras.options[0].id;
      const path = `/api/menu/items/${item.id}/options/${bacon}`;
      const off = await ok(call(s, "PATCH", path, { token: kitchen, body: { available: false } }));
      assert.equal(off.optionGroups[1].options[0].available, false);
      assert.deepEqual({ ...off, optionGroups: null }, { ...item, optionGroups: null });
      const menu = await ok(call(s, "GET", "/api/menu?location=demo"));
      const shown = menu.items.find((i: Json) => i.id === item.id);
      assert.equal(shown.optionGroups[1].options[0].available, false);
      const table = await tableToken(s, 6);
      const refused = await call(s, "POST", "/api/orders", {
        body: {
          tableToken: table,
          items: [{ menuItemId: item.id, quantity: 1, options: [cooking.options[0].id, bacon] }],
        },
      });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, "option_unavailable");
      assert.deepEqual(refused.body.error.details.map((d: Json) => d.path), ["items.0.options"]);
      await ok(
        call(s, "POST", "/api/orders", {
          body: {
            tableToken: table,
            items: [{ menuItemId: item.id, quantity: 1, options: [cooking.options[0].id] }],
          },
        }),
        201,
      );
      await ok(call(s, "PATCH", path, { token: kitchen, body: { available: true } }));
      await ok(
        call(s, "POST", "/api/orders", {
          body: {
            tableToken: table,
            items: [{ menuItemId: item.id, quantity: 1, options: [cooking.options[0].id, bacon] }],
          },
        }),
        201,
      );
    });

    await t.step("who may do what, and refusals that change nothing", async () => {
      const storedBefore = await menuItems(s);
      const option = item.optionGroups[0].options[0].id;
      const cases: [string, string, string | undefined, unknown, number][] = [
        [
          "PATCH",
          `/api/menu/items/${item.id}/options/${option}`,
          server,
          { available: false },
          403,
        ],
        [
          "PATCH",
          `/api/menu/items/${item.id}/options/${option}`,
          undefined,
          { available: false },
          401,
        ],
        ["PATCH", `/api/menu/items/${item.id}/options/nope`, kitchen, { available: false }, 404],
        ["PATCH", `/api/menu/items/nope/options/${option}`, kitchen, { available: false }, 404],
        [
          "PATCH",
          `/api/menu/items/${item.id}/options/${option}`,
          kitchen,
          { available: "no" },
          422,
        ],
        ["PATCH", `/api/menu/items/${item.id}`, kitchen, { optionGroups: [] }, 403],
        ["POST", "/api/menu/items", manager, {
          name: "Omelette",
          priceCents: 900,
          category: "Mains",
          allergens: ["egg"],
        }, 422],
        ["PATCH", `/api/menu/items/${item.id}`, manager, {
          optionGroups: [{ id: "unknown", name: "X", options: [{ name: "x" }] }],
        }, 422],
        ["PATCH", `/api/menu/items/${item.id}`, manager, {
          priceCents: 0,
          optionGroups: [{
            name: "Size",
            min: 1,
            options: [{ name: "Small", priceDeltaCents: -1 }],
          }],
        }, 422],
      ];
      for (const [method, path, token, body, status] of cases) {
        const reply = await call(s, method, path, { token, body });
        assert.equal(
          reply.status,
          status,
          `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(reply.body)}`,
        );
      }
      const egg = await call(s, "POST", "/api/menu/items", {
        token: manager,
        body: { name: "Omelette", priceCents: 900, category: "Mains", allergens: ["egg"] },
      });
      assert.deepEqual(egg.body.error.details.map((d: Json) => d.path), ["allergens.0"]);
      assert.deepEqual(await menuItems(s), storedBefore, "nothing changed");
    });
  });
});

Deno.test("[menu] the demo restaurant", async () => {
  await withServices(async (s) => {
    const items = await menuItems(s);
    const menu = await ok(call(s, "GET", "/api/menu?location=demo"));
    assert.ok(items.length >= 30, `${items.length} items`);
    assert.equal(menu.categories.length, 5);
    assert.deepEqual(new Set(items.map((i) => i.station)), new Set(["kitchen", "grill", "bar"]));
    assert.ok(items.some((i) => !i.available), "an unavailable item");
    assert.ok(items.some((i) => i.optionGroups.some((g) => g.options.some((o) => !o.available))));
    const required = items.filter((i) => i.optionGroups.some((g) => g.min > 0));
    const optional = items.filter((i) => i.optionGroups.some((g) => g.min === 0));
    assert.ok(
      required.length >= 5 && optional.length >= 5,
      `${required.length}/${optional.length}`,
    );
    assert.ok(
      items.some((i) =>
        i.optionGroups.some((g) => g.min > 0) && i.optionGroups.some((g) => g.min === 0)
      ),
    );
    for (const item of items) {
      assert.ok(item.dietary.length > 0, `${item.name}: no dietary tags`);
      assert.ok(Array.isArray(item.allergens));
      assert.ok(item.prepMinutes !== undefined && item.prepMinutes > 0, item.name);
      assert.ok(item.translations.de?.name && item.translations.de.description, item.name);
      for (const group of item.optionGroups) {
        assert.ok(group.translations?.de?.name, `${item.name}: ${group.name}`);
        for (const option of group.options) assert.ok(option.translations?.de?.name, option.name);
      }
    }
    assert.ok(items.filter((i) => i.allergens.length > 0).length >= items.length * 0.75);
    // Every available item can be ordered with its required options, and is priced exactly.
    const lines = items.filter((i) => i.available).map((i) => orderLine(i));
    for (let at = 0; at < lines.length; at += 10) {
      const placed = await ok(
        call(s, "POST", "/api/orders", {
          body: { tableToken: await tableToken(s, 1), items: lines.slice(at, at + 10) },
        }),
        201,
      );
      for (const line of placed.items) {
        const item = items.find((i) => i.id === line.menuItemId)!;
        const deltas = line.options.reduce((sum: number, o: Json) => sum + o.priceDeltaCents, 0);
        assert.equal(line.unitPriceCents, item.priceCents + deltas);
        assert.equal(line.station, item.station);
      }
    }
  });
});

Deno.test("[menu] compressed as Accept-Encoding allows, the same menu in every coding", async () => {
  await withServices(async (s) => {
    const get = (headers: Record<string, string>) =>
      s.app.request("/api/menu?location=demo&lang=de", { headers });
    const plain = await get({});
    assert.equal(plain.headers.get("content-encoding"), null);
    const json = await plain.text();
    const etag = plain.headers.get("etag")!;
    assert.match(plain.headers.get("vary") ?? "", /accept-encoding/i);

    const decoded: Record<string, string> = {};
    for (
      const [accept, coding] of [
        ["gzip, deflate, br", "br"],
        ["gzip", "gzip"],
        ["br;q=0, gzip;q=0.5", "gzip"],
        ["*", "br"],
        ["br;q=0, *;q=0.2", "gzip"],
        ["identity", null],
        ["gzip;q=0, br;q=0", null],
        ["deflate", null],
      ] as const
    ) {
      const reply = await get({ "accept-encoding": accept });
      assert.equal(reply.status, 200, accept);
      assert.equal(reply.headers.get("content-encoding"), coding, accept);
      const bytes = new Uint8Array(await reply.arrayBuffer());
      if (!coding) {
        assert.equal(new TextDecoder().decode(bytes), json, accept);
        assert.equal(reply.headers.get("etag"), etag);
        continue;
      }
      // A strong ETag per representation, and much smaller than the JSON.
      assert.equal(reply.headers.get("etag"), `${etag.slice(0, -1)}-${coding}"`, accept);
      assert.ok(bytes.length * 3 < json.length, `${coding}: ${bytes.length} of ${json.length}`);
      const stream = new Blob([bytes]).stream().pipeThrough(
        new DecompressionStream(coding === "br" ? "brotli" as CompressionFormat : "gzip"),
      );
      decoded[coding] = await new Response(stream).text();
      assert.equal(decoded[coding], json, accept);
      // Either coding's ETag, or the plain one, is the same content: 304.
      for (const sent of [reply.headers.get("etag")!, etag, `W/${reply.headers.get("etag")}`]) {
        const again = await get({ "accept-encoding": accept, "if-none-match": sent });
        assert.equal(again.status, 304, `${accept} with ${sent}`);
      }
    }
  });
});
