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
import type { Config } from "../../lib/config.ts";
import { AppError } from "../../lib/errors.ts";
import { decodeFeedEntry } from "../../lib/feed/feed.ts";
import { eventsPrefix, ordersPrefix } from "../../lib/kv/keys.ts";
import { statusOf } from "../../routes/error_response.ts";
import type { Services } from "../../lib/services.ts";
import type { Order } from "../../lib/schemas.ts";
import {
  assertPlaced,
  changeMenuItem,
  menuItems,
  newTestServices,
  type OrderBody,
  readOrders,
  readTables,
  withoutRequiredOptions,
} from "../fixtures.ts";

/** What a guest would have been answered. */
interface Outcome {
  status: number;
  code?: string;
  order?: Order;
  replayed?: boolean;
}

/** Orders with an idempotency key that one commit can hold under the configured limits. */
function perBatch(config: Config): number {
  return Math.min(config.batchMaxOrders, config.batchMaxChecks - 1);
}

async function setUp(inFlight = "1") {
  const t = await newTestServices({ SEATSERVE_BATCH_MAX_IN_FLIGHT: inFlight });
  const items = withoutRequiredOptions(await menuItems(t, true));
  const tables = await readTables(t);
  const count = async (prefix: Deno.KvKey) => {
    let n = 0;
    for await (const _ of t.kv.list({ prefix })) n++;
    return n;
  };
  return {
    t,
    items,
    tables,
    /** Another "process" on the same store: its own catalog and intake. */
    otherProcess: t.otherProcess,
    /**
     * Places `body` straight through the intake of `on` (default this process), as the route
     * would; a new order is then read back through the API and compared with what `body` makes.
     */
    async order(body: OrderBody, key?: string, on: Services = t.services): Promise<Outcome> {
      try {
        const placed = await on.intake.place(body, key);
        if (!placed.replayed) await assertPlaced(t, body, placed.order);
        return { status: 201, order: placed.order, replayed: placed.replayed };
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return { status: statusOf(error), code: error.code };
      }
    },
    body(i: number): OrderBody {
      return {
        tableToken: tables[i % tables.length].token,
        items: [{ menuItemId: items[i % items.length].id, quantity: 1 + (i % 3) }],
      };
    },
    /** The orders stored, counted in the store and checked against the API's list. */
    async orders() {
      const stored = await count(ordersPrefix(t.location.id));
      assert.equal((await readOrders(t)).length, stored, "the API lists another number");
      return stored;
    },
    /** Feed entries holding orders (the seed's catalog entry aside). */
    async feedEntries() {
      let n = 0;
      for await (const entry of t.kv.list<Uint8Array>({ prefix: eventsPrefix(t.location.id) })) {
        if (decodeFeedEntry(entry.value).changes.some((c) => c.type === "order")) n++;
      }
      return n;
    },
    close: () => t.close(),
  };
}

type Fixture = Awaited<ReturnType<typeof setUp>>;

/** Runs `fn` on a fresh fixture (`inFlight` commits at most in flight), closed whatever happens. */
async function withFixture(fn: (f: Fixture) => Promise<void>, inFlight = "1"): Promise<void> {
  const f = await setUp(inFlight);
  try {
    await fn(f);
  } finally {
    f.close();
  }
}

/** Sends a first order, then `bodies` while its commit runs, so that they form one batch. */
async function inOneBatch(f: Fixture, requests: (() => Promise<Outcome>)[]) {
  const first = f.order(f.body(99), "blocker");
  const responses = await Promise.all(requests.map((send) => send()));
  assert.equal((await first).status, 201);
  return responses;
}

Deno.test("[order_intake] group commit", async (t) => {
  await t.step("concurrent orders share one commit and one feed entry", async () => {
    await withFixture(async (f) => {
      const responses = await inOneBatch(
        f,
        Array.from({ length: 30 }, (_, i) => () => f.order(f.body(i), `share-${i}`)),
      );
      assert.deepEqual(responses.map((r) => r.status), Array(30).fill(201));
      assert.equal(await f.orders(), 31);
      // The blocker's commit and one for the thirty (or as many as the store's checks allow:
      // one for the catalog version, one per idempotency key).
      assert.equal(await f.feedEntries(), 1 + Math.ceil(30 / perBatch(f.t.config)));
    });
  });

  await t.step(
    "with two commits in flight, every order is committed once and answered",
    async () => {
      await withFixture(async (f) => {
        const responses = await Promise.all(
          Array.from({ length: 300 }, (_, i) => f.order(f.body(i), `two-${i}`)),
        );
        assert.deepEqual(responses.map((r) => r.status), Array(300).fill(201));
        const ids = new Set(responses.map((r) => r.order!.id));
        assert.equal(ids.size, 300);
        assert.equal(await f.orders(), 300);
        const entries = await f.feedEntries();
        assert.ok(
          entries < Math.ceil(300 / perBatch(f.t.config)) * 6,
          `shared commits: ${entries}`,
        );
      }, "2");
    },
  );

  await t.step("an unknown item fails alone; the rest of its batch is committed", async () => {
    await withFixture(async (f) => {
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
    });
  });

  await t.step(
    "a key reused with another body fails its batch's check; it alone gets 409, the rest re-commit together",
    async () => {
      await withFixture(async (f) => {
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
        // The batch's commit failed on the reused key's check; the key was read, its member
        // answered 409, and the 16 good members committed together again: one feed entry for
        // them (plus the first order and the blocker).
        assert.equal(await f.feedEntries(), 1 + 1 + 1);
        const ids = new Set(responses.toSpliced(8, 1).map((r) => r.order!.id));
        assert.equal(ids.size, 16);
      });
    },
  );

  await t.step(
    "a key already claimed by another process fails alone; same body replays; the rest together",
    async () => {
      await withFixture(async (f) => {
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
        assert.equal(
          await f.feedEntries(),
          2 + 1 + 1,
          "the claimed keys were answered from the store, the other 12 committed together again",
        );
      });
    },
  );

  await t.step("an item 86'd by another process fails alone, however stale the menu", async () => {
    await withFixture(async (f) => {
      const target = f.items[0];
      const keep = f.items.slice(1);
      const body = (i: number, id: string) => ({
        tableToken: f.tables[i % f.tables.length].token,
        items: [{ menuItemId: id, quantity: 1 }],
      });
      assert.equal((await f.order(body(0, target.id))).status, 201); // menu now cached here
      const elsewhere = await f.otherProcess();
      const patched = await changeMenuItem({ ...f.t, app: elsewhere.app }, target.id, {
        available: false,
      });
      assert.equal(patched.available, false);
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
    });
  });
});
