/**
 * Group commit (lib/order_intake.ts): concurrent order creations share one atomic commit, and one
 * bad member of a batch fails alone while the others are committed and answered 201.
 *
 * Batches are made on purpose: with one commit in flight, a first order starts a commit at once,
 * and every order that arrives while it runs waits for the next commit, together. The orders go
 * straight to the intake, all in one tick, so they are all queued before the first commit's
 * answer can come back from the store, however fast the store is; the routes' mapping of its
 * errors to statuses is tested in order_test.ts and fuzz_test.ts.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../lib/config.ts";
import { AppError } from "../../lib/errors.ts";
import { decodeFeedEntry } from "../../lib/feed/feed.ts";
import { statusOf } from "../../routes/error_response.ts";
import { eventsPrefix, ordersPrefix } from "../../lib/kv/keys.ts";
import { listMenuItems } from "../../lib/catalog/menu.ts";
import { seedDemo } from "../../lib/catalog/seed.ts";
import { closeServices, createServices, type Services } from "../../lib/services.ts";
import {
  CreateMenuItemInput,
  type CreateOrderInput,
  type MenuItem,
  type Order,
} from "../../lib/schemas.ts";
import { decodeJson } from "../../lib/kv/codec.ts";
import { listTables } from "../../lib/catalog/tables.ts";
import { createApp } from "../../routes/app.ts";
import { BOOTSTRAP, withoutRequiredOptions } from "../fixtures.ts";

/** What a guest would have been answered. */
interface Outcome {
  status: number;
  code?: string;
  order?: Order;
  replayed?: boolean;
}

const TOKEN = "group-commit-test-owner";

async function setUp(inFlight = "1") {
  const kv = await Deno.openKv(":memory:");
  const location = (await seedDemo(kv))!;
  const config = loadConfig({
    SEATSERVE_KV_PATH: ":memory:",
    SEATSERVE_BOOTSTRAP_TOKEN: TOKEN,
    SEATSERVE_RATE_LIMIT: "off",
    SEATSERVE_BATCH_MAX_IN_FLIGHT: inFlight,
  });
  const services = await createServices(kv, config);
  const items = withoutRequiredOptions(await listMenuItems(kv, location.id));
  const tables = await listTables(kv, location.id);
  const count = async (prefix: Deno.KvKey) => {
    let n = 0;
    for await (const _ of kv.list({ prefix })) n++;
    return n;
  };
  const opened: Services[] = [services];
  return {
    kv,
    items,
    tables,
    /** Another "process" on the same store: its own catalog and intake. */
    async otherProcess() {
      const other = await createServices(kv, config);
      opened.push(other);
      return { services: other, app: createApp(other) };
    },
    async order(body: CreateOrderInput, key?: string, on = services): Promise<Outcome> {
      try {
        const placed = await on.intake.place(body, key);
        return { status: 201, order: placed.order, replayed: placed.replayed };
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return { status: statusOf(error), code: error.code };
      }
    },
    body(i: number) {
      return {
        tableToken: tables[i % tables.length].token,
        items: [{ menuItemId: items[i % items.length].id, quantity: 1 + (i % 3) }],
      };
    },
    orders: () => count(ordersPrefix(location.id)),
    services,
    /** An item whose price and option deltas all follow one `version` (see `versionsOf`). */
    async createItem(version: number, on = services) {
      return await on.catalogService.createMenuItem(
        { by: BOOTSTRAP, locationId: location.id },
        CreateMenuItemInput.parse({
          name: "Racing burger v0",
          priceCents: 1000 + 100 * version,
          category: "Grill",
          optionGroups: [
            {
              name: "Cooking v0",
              min: 1,
              options: [{ name: "Medium v0", priceDeltaCents: 10 + version }],
            },
            {
              name: "Extras",
              max: 2,
              options: [{ name: "Bacon v0", priceDeltaCents: 20 + version }],
            },
          ],
        }),
      );
    },
    /** Moves the item's price, deltas and names to `version`, in one catalog commit. */
    async setVersion(on: Services, item: MenuItem, version: number) {
      const [cooking, extras] = item.optionGroups;
      await on.catalogService.updateMenuItem({ by: BOOTSTRAP, locationId: location.id }, item.id, {
        name: `Racing burger v${version}`,
        priceCents: 1000 + 100 * version,
        optionGroups: [
          {
            id: cooking.id,
            name: `Cooking v${version}`,
            min: 1,
            max: 1,
            options: [{
              id: cooking.options[0].id,
              name: `Medium v${version}`,
              priceDeltaCents: 10 + version,
              available: true,
              allergens: [],
            }],
          },
          {
            id: extras.id,
            name: "Extras",
            min: 0,
            max: 2,
            options: [{
              id: extras.options[0].id,
              name: `Bacon v${version}`,
              priceDeltaCents: 20 + version,
              available: true,
              allergens: [],
            }],
          },
        ],
      });
    },
    /** Two lines of the item with both its options. */
    optionBody(i: number, item: MenuItem): CreateOrderInput {
      const options = item.optionGroups.map((g) => g.options[0].id);
      return {
        tableToken: tables[i % tables.length].token,
        items: [
          { menuItemId: item.id, quantity: 1 + (i % 2), options },
          { menuItemId: item.id, quantity: 2, options: [...options].reverse() },
        ],
      };
    },
    /**
     * The version each line was priced with, checking that everything on the line (name,
     * price, each option's group, name and delta) comes from that one version.
     */
    versionsOf(order: Order): number[] {
      return order.items.map((line) => {
        const version = (line.unitPriceCents - 1030) / 102;
        assert.ok(Number.isInteger(version), `unit price ${line.unitPriceCents}`);
        assert.equal(line.name, `Racing burger v${version}`);
        assert.equal(line.lineTotalCents, line.unitPriceCents * line.quantity);
        assert.deepEqual(line.options.map((o) => [o.group, o.name, o.priceDeltaCents]), [
          [`Cooking v${version}`, `Medium v${version}`, 10 + version],
          ["Extras", `Bacon v${version}`, 20 + version],
        ]);
        return version;
      });
    },
    /** The store holds exactly the answered orders, as answered. */
    async assertStoredAsAnswered(responses: Outcome[]) {
      const stored = new Map<string, Order>();
      for await (const entry of kv.list<Uint8Array>({ prefix: ordersPrefix(location.id) })) {
        const order = decodeJson<Order>(entry.value);
        stored.set(order.id, order);
      }
      for (const response of responses) {
        assert.deepEqual(stored.get(response.order!.id), response.order);
      }
    },
    /** Feed entries holding orders (the seed's catalog entry aside). */
    async feedEntries() {
      let n = 0;
      for await (const entry of kv.list<Uint8Array>({ prefix: eventsPrefix(location.id) })) {
        if (decodeFeedEntry(entry.value).changes.some((c) => c.type === "order")) n++;
      }
      return n;
    },
    close() {
      for (const s of opened) closeServices(s);
      kv.close();
    },
  };
}

type Fixture = Awaited<ReturnType<typeof setUp>>;

/** Sends a first order, then `bodies` while its commit runs, so that they form one batch. */
async function inOneBatch(f: Fixture, requests: (() => Promise<Outcome>)[]) {
  const first = f.order(f.body(99), "blocker");
  const responses = await Promise.all(requests.map((send) => send()));
  assert.equal((await first).status, 201);
  return responses;
}

Deno.test("[order_intake] group commit", async (t) => {
  await t.step("concurrent orders share one commit and one feed entry", async () => {
    const f = await setUp();
    try {
      const responses = await inOneBatch(
        f,
        Array.from({ length: 30 }, (_, i) => () => f.order(f.body(i), `share-${i}`)),
      );
      assert.deepEqual(responses.map((r) => r.status), Array(30).fill(201));
      assert.equal(await f.orders(), 31);
      // The blocker's commit and one for the thirty.
      assert.equal(await f.feedEntries(), 2);
    } finally {
      f.close();
    }
  });

  await t.step(
    "with two commits in flight, every order is committed once and answered",
    async () => {
      const f = await setUp("2");
      try {
        const responses = await Promise.all(
          Array.from({ length: 300 }, (_, i) => f.order(f.body(i), `two-${i}`)),
        );
        assert.deepEqual(responses.map((r) => r.status), Array(300).fill(201));
        const ids = new Set(responses.map((r) => r.order!.id));
        assert.equal(ids.size, 300);
        assert.equal(await f.orders(), 300);
        assert.ok((await f.feedEntries()) < 30, "orders shared commits");
      } finally {
        f.close();
      }
    },
  );

  await t.step("an unknown item fails alone; the rest of its batch is committed", async () => {
    const f = await setUp();
    try {
      const bad = { ...f.body(3), items: [{ menuItemId: "no-such-item", quantity: 1 }] };
      const responses = await inOneBatch(f, [
        ...Array.from({ length: 10 }, (_, i) => () => f.order(f.body(i))),
        () => f.order(bad),
        ...Array.from({ length: 10 }, (_, i) => () => f.order(f.body(i + 10))),
      ]);
      const statuses = responses.map((r) => r.status);
      assert.equal(statuses[10], 422);
      assert.equal(responses[10].code, "unknown_item");
      assert.deepEqual(statuses.filter((s) => s === 201).length, 20);
      assert.equal(await f.orders(), 21);
      assert.equal(await f.feedEntries(), 2, "the good ones still shared one commit");
    } finally {
      f.close();
    }
  });

  await t.step(
    "a key reused with another body fails its batch's check; it alone gets 409",
    async () => {
      const f = await setUp();
      try {
        const first = await f.order(f.body(0), "reused-key");
        assert.equal(first.status, 201);
        // The same key for the same table, another body: the in-process map has forgotten it,
        // so it joins a batch, whose commit fails the key's check; members are retried alone.
        const other = { ...f.body(0), note: "a different body" };
        const responses = await inOneBatch(f, [
          ...Array.from({ length: 8 }, (_, i) => () => f.order(f.body(i + 1), `fresh-${i}`)),
          () => f.order(other, "reused-key"),
          ...Array.from({ length: 8 }, (_, i) => () => f.order(f.body(i + 9))),
        ]);
        const statuses = responses.map((r) => r.status);
        assert.equal(statuses[8], 409);
        assert.equal(responses[8].code, "idempotency_key_reused");
        assert.deepEqual(statuses.toSpliced(8, 1), Array(16).fill(201));
        assert.equal(await f.orders(), 1 + 1 + 16);
        // The batch's commit failed on the reused key's check, so its 16 good members were
        // committed one by one: one feed entry each (plus the first order and the blocker).
        assert.equal(await f.feedEntries(), 1 + 1 + 16);
        const ids = new Set(responses.toSpliced(8, 1).map((r) => r.order!.id));
        assert.equal(ids.size, 16);
      } finally {
        f.close();
      }
    },
  );

  await t.step(
    "a key already claimed by another process fails alone; same body replays",
    async () => {
      const f = await setUp();
      try {
        const elsewhere = await f.otherProcess();
        const claimed = await f.order(f.body(5), "claimed-elsewhere", elsewhere.services);
        assert.equal(claimed.status, 201);
        const claimedOrder = claimed.order!;
        const claimedTwice = await f.order(f.body(6), "claimed-twice", elsewhere.services);
        assert.equal(claimedTwice.status, 201);
        const responses = await inOneBatch(f, [
          ...Array.from({ length: 6 }, (_, i) => () => f.order(f.body(i), `ok-${i}`)),
          // Another body under a key the other process claimed: 409, alone.
          () => f.order({ ...f.body(5), note: "changed" }, "claimed-elsewhere"),
          // The same body under a key claimed elsewhere: the first answer again, nothing new.
          () => f.order(f.body(6), "claimed-twice"),
          ...Array.from({ length: 6 }, (_, i) => () => f.order(f.body(i + 6))),
        ]);
        const statuses = responses.map((r) => r.status);
        assert.equal(statuses[6], 409);
        assert.equal(statuses[7], 201);
        assert.equal(responses[7].replayed, true);
        const replay = responses[7].order!;
        assert.notEqual(replay.id, claimedOrder.id);
        assert.equal(replay.tableId, f.tables[6].id);
        assert.deepEqual(statuses.toSpliced(6, 2), Array(12).fill(201));
        assert.equal(await f.orders(), 2 + 1 + 12);
        assert.equal(await f.feedEntries(), 2 + 1 + 12, "the failed batch was retried one by one");
      } finally {
        f.close();
      }
    },
  );

  await t.step("an item 86'd by another process fails alone, however stale the menu", async () => {
    const f = await setUp();
    try {
      const target = f.items[0];
      const keep = f.items.slice(1);
      const body = (i: number, id: string) => ({
        tableToken: f.tables[i % f.tables.length].token,
        items: [{ menuItemId: id, quantity: 1 }],
      });
      assert.equal((await f.order(body(0, target.id))).status, 201); // menu now cached here
      const elsewhere = await f.otherProcess();
      const patched = await elsewhere.app.request(`/api/menu/items/${target.id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ available: false }),
      });
      assert.equal(patched.status, 200);
      // Whether this process's watch has dropped its menu yet or not: priced against a stale
      // menu, the batch's catalog check fails and each member is re-priced alone.
      const responses = await inOneBatch(f, [
        ...Array.from({ length: 5 }, (_, i) => () => f.order(body(i, keep[i].id))),
        () => f.order(body(7, target.id)),
        ...Array.from({ length: 5 }, (_, i) => () => f.order(body(i, keep[i + 5].id))),
      ]);
      const statuses = responses.map((r) => r.status);
      assert.equal(statuses[5], 409);
      assert.equal(responses[5].code, "item_unavailable");
      assert.deepEqual(statuses.toSpliced(5, 1), Array(10).fill(201));
      assert.equal(await f.orders(), 1 + 1 + 10);
    } finally {
      f.close();
    }
  });

  await t.step(
    "a catalog change between pricing and commit: the order is re-priced wholly after it",
    async () => {
      const f = await setUp();
      try {
        const item = await f.createItem(0);
        const body = (i: number) => f.optionBody(i, item);
        assert.equal((await f.order(body(0))).status, 201); // the menu is cached here now
        const elsewhere = await f.otherProcess();
        await f.setVersion(elsewhere.services, item, 1); // this process's menu is now stale
        const responses = await inOneBatch(
          f,
          Array.from({ length: 12 }, (_, i) => () => f.order(body(i))),
        );
        for (const response of responses) {
          assert.equal(response.status, 201);
          assert.deepEqual(f.versionsOf(response.order!), [1, 1], "priced after the change");
        }
        // Priced with the stale menu (what happens unless the watch is quicker than the batch),
        // the batch's commit fails its catalog check and each member is re-priced and committed
        // alone: 12 commits; priced after the watch dropped the stale menu: one.
        assert.ok([1 + 1 + 12, 1 + 1 + 1].includes(await f.feedEntries()));
        await f.assertStoredAsAnswered(responses);
      } finally {
        f.close();
      }
    },
  );

  await t.step(
    "orders with options racing catalog changes: each wholly before or after a change",
    async () => {
      const f = await setUp("2");
      try {
        const item = await f.createItem(0);
        const elsewhere = await f.otherProcess();
        const seen = new Set<number>();
        const responses: Outcome[] = [];
        const acknowledged: { version: number; at: number }[] = [];
        let placing = true;
        const orders = (async () => {
          for (let wave = 0; placing || wave < 3; wave++) {
            const placed = await Promise.all(
              Array.from({ length: 20 }, (_, i) => f.order(f.optionBody(wave * 20 + i, item))),
            );
            responses.push(...placed);
          }
        })();
        for (let version = 1; version <= 6; version++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          // Alternate the writer: this process (its cache dropped at once) and another one
          // (this process learns of it by the watch, or by its commit's version check).
          await f.setVersion(version % 2 ? elsewhere.services : f.services, item, version);
          acknowledged.push({ version, at: Date.now() });
        }
        placing = false;
        await orders;
        assert.ok(responses.length >= 120);
        for (const response of responses) {
          assert.equal(response.status, 201, response.code);
          const [first, second] = f.versionsOf(response.order!);
          assert.equal(first, second, "both lines priced with one version of the item");
          seen.add(first);
          // An order priced after a change was acknowledged is priced with it or a later one.
          const createdAt = Date.parse(response.order!.createdAt);
          const floor = acknowledged.filter((a) => a.at < createdAt).at(-1)?.version ?? 0;
          assert.ok(first >= floor, `priced with ${first} after ${floor} was acknowledged`);
        }
        assert.ok(seen.size >= 3, `versions seen: ${[...seen]}`);
        await f.assertStoredAsAnswered(responses);
      } finally {
        f.close();
      }
    },
  );
});
