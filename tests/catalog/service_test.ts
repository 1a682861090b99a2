/**
 * The catalog's one writer (lib/catalog/service.ts): every change bumps the catalog version,
 * lands on the change feed with what changed, and is served at once.
 */
import assert from "node:assert/strict";
import { type ChangeData, listChangesAfter, newestPosition } from "../../lib/feed/feed.ts";
import { catalogVersionKey } from "../../lib/kv/keys.ts";
import { listMenuItems } from "../../lib/catalog/menu.ts";
import { CreateMenuItemInput } from "../../lib/schemas.ts";
import { BOOTSTRAP, newTestServices, type TestServices } from "../fixtures.ts";

/**
 * The catalog changes committed since `after`, without their positions. Each commit's audit
 * entry rides its feed entry (for the mirror): those are checked to be there, one per commit,
 * with the commit's request id, and left out of the answer.
 */
async function changesSince(
  t: TestServices,
  after: Awaited<ReturnType<typeof newestPosition>>,
  locationId = t.location.id,
) {
  const found: ChangeData[] = [];
  const entries = new Map<string, number>();
  for await (const change of listChangesAfter(t.kv, locationId, after)) {
    const { id: _, versionstamp, index: ___, ...data } = change;
    if (data.type === "audit") {
      assert.equal(data.entry.requestId, "test");
      entries.set(versionstamp, (entries.get(versionstamp) ?? 0) + 1);
      continue;
    }
    if (after) entries.set(versionstamp, entries.get(versionstamp) ?? 0);
    found.push(data as ChangeData);
  }
  for (const [versionstamp, n] of entries) {
    assert.equal(n, 1, `one audit entry in the commit ${versionstamp}`);
  }
  return found;
}

async function version(t: TestServices): Promise<string | null> {
  return (await t.kv.get(catalogVersionKey(t.location.id))).versionstamp;
}

async function menuItemNames(t: TestServices): Promise<string[]> {
  const res = await t.app.request(`/api/menu?location=${t.location.slug}`);
  return (await res.json()).items.map((i: { name: string }) => i.name);
}

Deno.test("[catalog_service] CatalogService", async (t) => {
  const s = await newTestServices();
  const writer = s.services.catalogService;
  const locationId = s.location.id;
  const scope = { by: BOOTSTRAP, requestId: "test", locationId };
  try {
    await t.step("the seed's location, items and tables are on the feed", async () => {
      const seeded = await changesSince(s, null);
      assert.equal(seeded.filter((c) => c.type === "location").length, 1);
      const items = await listMenuItems(s.kv, locationId);
      assert.deepEqual(
        seeded.flatMap((c) => c.type === "menu_item" ? [c.item] : []),
        items,
        "every seeded item, as stored",
      );
      assert.equal(seeded.filter((c) => c.type === "table").length, 12);
    });

    await t.step(
      "a new item: version bumped, on the feed as written, on the menu at once",
      async () => {
        await menuItemNames(s); // loads the cache
        const before = await version(s);
        const from = await newestPosition(s.kv, locationId);
        const input = CreateMenuItemInput.parse({
          name: "Flat white",
          description: "Double shot",
          priceCents: 420,
          category: "Drinks",
          available: true,
          allergens: ["milk"],
        });
        const item = await writer.createMenuItem(scope, input);
        assert.deepEqual(item, {
          id: item.id,
          ...input,
          dietary: [],
          station: "kitchen",
          optionGroups: [],
          translations: {},
        });
        assert.notEqual(await version(s), before);
        assert.deepEqual(await changesSince(s, from), [
          { type: "menu_item", item, deleted: false },
        ]);
        assert.ok((await menuItemNames(s)).includes("Flat white"));

        const from2 = await newestPosition(s.kv, locationId);
        const changed = await writer.updateMenuItem(scope, item.id, {
          available: false,
          priceCents: 450,
        });
        assert.deepEqual(changed, { ...item, available: false, priceCents: 450 });
        assert.deepEqual(await changesSince(s, from2), [
          { type: "menu_item", item: changed, deleted: false },
        ]);

        const from3 = await newestPosition(s.kv, locationId);
        await writer.deleteMenuItem(scope, item.id);
        assert.deepEqual(await changesSince(s, from3), [
          { type: "menu_item", item: changed, deleted: true },
        ]);
        assert.ok(!(await menuItemNames(s)).includes("Flat white"));
      },
    );

    await t.step(
      "tables: created, changed with a new token, removed, each on the feed",
      async () => {
        const from = await newestPosition(s.kv, locationId);
        const table = await writer.createTable(scope, { number: 40, seats: 3 });
        const moved = await writer.updateTable(scope, table.id, {
          number: 41,
          rotateToken: true,
        });
        assert.equal(moved.number, 41);
        assert.notEqual(moved.token, table.token);
        await writer.deleteTable(scope, table.id);
        assert.deepEqual(await changesSince(s, from), [
          { type: "table", table, deleted: false },
          { type: "table", table: moved, deleted: false },
          { type: "table", table: moved, deleted: true },
        ]);
        await assert.rejects(
          writer.createTable(scope, { number: 1, seats: 2 }),
          { code: "duplicate_table_number" },
        );
      },
    );

    await t.step("a refused write changes nothing and appends nothing", async () => {
      const from = await newestPosition(s.kv, locationId);
      const before = await version(s);
      await assert.rejects(
        writer.updateMenuItem(scope, "nope", { priceCents: 1 }),
        {
          kind: "not_found",
        },
      );
      await assert.rejects(
        writer.createLocation({ by: BOOTSTRAP, requestId: "test" }, {
          slug: "demo",
          name: "Again",
          currency: "EUR",
          defaultLanguage: "en",
        }),
        { code: "slug_taken" },
      );
      assert.equal(await version(s), before);
      assert.deepEqual(await changesSince(s, from), []);
    });

    await t.step("a new location starts its own feed with itself", async () => {
      const location = await writer.createLocation({ by: BOOTSTRAP, requestId: "test" }, {
        slug: "second",
        name: "Second",
        currency: "USD",
        defaultLanguage: "en",
      });
      assert.deepEqual(await changesSince(s, null, location.id), [{ type: "location", location }]);
    });
  } finally {
    s.close();
  }
});
