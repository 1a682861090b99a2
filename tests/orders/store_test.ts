/**
 * The order store (lib/orders.ts) and order intake (lib/order_intake.ts) under concurrency, on a
 * real in-memory KV: moves race to exactly one winner, the feed holds exactly what was committed,
 * idempotent creation holds across retries and processes, and listings page correctly.
 */
import assert from "node:assert/strict";
import { AppError } from "../../lib/errors.ts";
import { listChangesAfter } from "../../lib/feed/feed.ts";
import { ordersPrefix } from "../../lib/kv/keys.ts";
import type { OrderStatus } from "../../lib/orders/lifecycle.ts";
import { moveOrderStatus } from "../../lib/orders/moves.ts";
import { getOrder, listOrders } from "../../lib/orders/store.ts";
import { statusOf } from "../../routes/error_response.ts";
import type { Role } from "../../lib/auth/roles.ts";
import type { CreateOrderInput, Order } from "../../lib/schemas.ts";
import {
  assertPlaced,
  BOOTSTRAP_AUDIT,
  idsOf,
  newTestServices,
  pick,
  randomKey,
  randomOrderBody,
  readOrder,
  readOrders,
  tablesOf,
  type TestServices,
} from "../fixtures.ts";

/** Places an order through the intake; it is read back through the API and compared. */
async function place(t: TestServices, body?: CreateOrderInput): Promise<Order> {
  body ??= await randomOrderBody(t);
  const order = (await t.services.intake.place(body)).order;
  await assertPlaced(t, body, order);
  return order;
}

/** Moves an order through the store; a move made is read back through the API and compared. */
async function move(t: TestServices, orderId: string, to: OrderStatus, role: Role = "owner") {
  const moved = await moveOrderStatus(t.kv, {
    locationId: t.location.id,
    orderId,
    to,
    role,
    by: `${role}:test`,
    retentionMs: t.config.eventRetentionMs,
    audit: BOOTSTRAP_AUDIT,
  });
  assert.equal(moved.status, to);
  assert.deepEqual(moved.history.at(-1), { status: to, at: moved.updatedAt, by: `${role}:test` });
  assert.deepEqual(await readOrder(t, orderId), moved);
  return moved;
}

async function changesOf(t: TestServices, orderId: string): Promise<Order[]> {
  const found: Order[] = [];
  for await (const change of listChangesAfter(t.kv, t.location.id, null)) {
    if (change.type === "order" && change.order.id === orderId) found.push(change.order);
  }
  return found;
}

async function countOrders(kv: Deno.Kv, locationId: string): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: ordersPrefix(locationId) })) n++;
  return n;
}

type Placed = Awaited<ReturnType<TestServices["services"]["intake"]["place"]>>;

function codeOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === "fulfilled") return "ok";
  assert.ok(result.reason instanceof AppError, String(result.reason));
  return `${statusOf(result.reason)} ${result.reason.code}`;
}

Deno.test("[orders] moveOrderStatus() under concurrency", async (t) => {
  const app = await newTestServices();
  try {
    await t.step("20 identical moves: one wins, 19 get 409 illegal_transition", async () => {
      const order = await place(app);
      const results = await Promise.allSettled(
        Array.from(
          { length: 20 },
          (_, i) => move(app, order.id, "queued", i % 2 ? "server" : "owner"),
        ),
      );
      const codes = results.map(codeOf);
      assert.equal(codes.filter((c) => c === "ok").length, 1, codes.join());
      assert.equal(codes.filter((c) => c === "409 illegal_transition").length, 19, codes.join());
      const stored = (await getOrder(app.kv, app.location.id, order.id))!;
      assert.deepEqual(await readOrder(app, order.id), stored);
      assert.equal(stored.status, "queued");
      assert.equal(stored.version, 2);
      assert.deepEqual(stored.history.map((h) => h.status), ["pending", "queued"]);
      const winner = results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<Order>;
      assert.deepEqual(winner.value, stored);
      assert.deepEqual((await changesOf(app, order.id)).map((o) => o.version), [1, 2]);
    });

    await t.step("preparing races cancelled: one wins, history and feed agree", async () => {
      for (let round = 0; round < 30; round++) {
        const order = await place(app);
        await move(app, order.id, "queued", "server");
        const contenders: [OrderStatus, Role][] = [["preparing", "kitchen"], [
          "cancelled",
          "server",
        ]];
        if (round % 2) contenders.reverse();
        const results = await Promise.allSettled(
          contenders.map(([to, role]) => move(app, order.id, to, role)),
        );
        const winners = results.filter((r) => r.status === "fulfilled");
        assert.equal(winners.length, 1, `round ${round}: ${results.map(codeOf)}`);
        const loser = results.find((r) => r.status === "rejected")!;
        assert.equal(codeOf(loser), "409 illegal_transition");
        const stored = (await getOrder(app.kv, app.location.id, order.id))!;
        const won = (winners[0] as PromiseFulfilledResult<Order>).value;
        assert.deepEqual(won, stored);
        assert.ok(stored.status === "preparing" || stored.status === "cancelled");
        assert.equal(stored.version, 3);
        assert.deepEqual(stored.history.map((h) => h.status), ["pending", "queued", stored.status]);
        const feed = await changesOf(app, order.id);
        assert.deepEqual(feed.map((o) => [o.status, o.version]), [
          ["pending", 1],
          ["queued", 2],
          [stored.status, 3],
        ]);
        assert.deepEqual(feed[2], stored);
      }
    });

    await t.step("a forbidden or unknown move writes nothing", async () => {
      const order = await place(app);
      await assert.rejects(move(app, order.id, "queued", "kitchen"), { kind: "forbidden" });
      await assert.rejects(move(app, order.id, "ready", "owner"), {
        kind: "conflict",
        code: "illegal_transition",
      });
      await assert.rejects(move(app, "01NOSUCHORDER0000000000000", "queued"), {
        kind: "not_found",
      });
      assert.equal((await getOrder(app.kv, app.location.id, order.id))!.version, 1);
      assert.deepEqual(await readOrder(app, order.id), order);
      assert.equal((await changesOf(app, order.id)).length, 1);
    });

    await t.step("a stale expected version is a 409 version_conflict", async () => {
      const order = await place(app);
      await move(app, order.id, "queued");
      await assert.rejects(
        moveOrderStatus(app.kv, {
          locationId: app.location.id,
          orderId: order.id,
          to: "preparing",
          role: "owner",
          by: "owner:test",
          expectedVersion: 1,
          retentionMs: app.config.eventRetentionMs,
          audit: BOOTSTRAP_AUDIT,
        }),
        { kind: "conflict", code: "version_conflict" },
      );
      assert.equal((await getOrder(app.kv, app.location.id, order.id))!.status, "queued");
      assert.equal((await readOrder(app, order.id)).version, 2);
    });
  } finally {
    app.close();
  }
});

Deno.test("[orders] idempotent creation", async (t) => {
  const app = await newTestServices();
  try {
    await t.step("10 concurrent retries of one key: one order, ten equal answers", async () => {
      const before = await countOrders(app.kv, app.location.id);
      const body = await randomOrderBody(app);
      const key = randomKey();
      const placed = await Promise.all(
        Array.from({ length: 10 }, () => app.services.intake.place(structuredClone(body), key)),
      );
      assert.equal(await countOrders(app.kv, app.location.id), before + 1);
      for (const p of placed) assert.deepEqual(p.order, placed[0].order);
      assert.equal(placed.filter((p) => !p.replayed).length, 1);
      assert.deepEqual(
        await getOrder(app.kv, app.location.id, placed[0].order.id),
        placed[0].order,
      );
      await assertPlaced(app, body, placed[0].order);

      // A later retry, after the order moved on, gets the first answer.
      await move(app, placed[0].order.id, "queued");
      const again = await app.services.intake.place(structuredClone(body), key);
      assert.equal(again.replayed, true);
      assert.deepEqual(again.order, placed[0].order);
      assert.equal(await countOrders(app.kv, app.location.id), before + 1);
    });

    await t.step("two processes on one store: still one order", async () => {
      const { services: other } = await app.otherProcess();
      for (let round = 0; round < 5; round++) {
        const before = await countOrders(app.kv, app.location.id);
        const body = await randomOrderBody(app);
        const key = randomKey();
        const placed = await Promise.all(
          Array.from(
            { length: 10 },
            (_, i) =>
              (i % 2 ? other.intake : app.services.intake).place(structuredClone(body), key),
          ),
        );
        assert.equal(await countOrders(app.kv, app.location.id), before + 1, `round ${round}`);
        for (const p of placed) assert.deepEqual(p.order, placed[0].order);
        assert.equal(placed.filter((p) => !p.replayed).length, 1);
        await assertPlaced(app, body, placed[0].order);
      }
    });

    await t.step("the same key with another body is a 409 idempotency_key_reused", async () => {
      const table = pick(await tablesOf(app));
      const body = await randomOrderBody(app, { tableToken: table.token });
      const changed = { ...body, note: `${body.note ?? ""} and more` };
      const key = randomKey();
      const before = await countOrders(app.kv, app.location.id);
      // Concurrent: the second shares the in-flight request of the first.
      const results = await Promise.allSettled([
        app.services.intake.place(body, key),
        app.services.intake.place(changed, key),
      ]);
      assert.deepEqual(results.map(codeOf), ["ok", "409 idempotency_key_reused"]);
      await assertPlaced(app, body, (results[0] as PromiseFulfilledResult<Placed>).value.order);
      // Later: the stored key decides.
      await assert.rejects(app.services.intake.place(changed, key), {
        kind: "conflict",
        code: "idempotency_key_reused",
      });
      assert.equal(await countOrders(app.kv, app.location.id), before + 1);
    });

    await t.step("the same key on another table is another order", async () => {
      const [a, b] = await tablesOf(app);
      const key = randomKey();
      const first = await app.services.intake.place(
        await randomOrderBody(app, { tableToken: a.token }),
        key,
      );
      const second = await app.services.intake.place(
        await randomOrderBody(app, { tableToken: b.token }),
        key,
      );
      assert.notEqual(first.order.id, second.order.id);
      assert.equal(second.replayed, false);
      assert.equal((await readOrder(app, first.order.id)).tableId, a.id);
      assert.equal((await readOrder(app, second.order.id)).tableId, b.id);
    });
  } finally {
    app.close();
  }
});

Deno.test("[orders] listOrders()", async (t) => {
  const app = await newTestServices();
  try {
    const tables = (await tablesOf(app)).slice(0, 3);
    const all: Order[] = [];
    for (let i = 0; i < 37; i++) {
      const table = tables[i % tables.length];
      let order = await place(app, await randomOrderBody(app, { tableToken: table.token }));
      if (i % 3 === 0) order = await move(app, order.id, "queued");
      if (i % 5 === 0) order = await move(app, order.id, "cancelled");
      all.push(order);
    }
    const newestFirst = [...all].reverse();

    const pages = async (query: { status?: OrderStatus; tableId?: string }, limit: number) => {
      const seen: Order[] = [];
      let before: string | undefined;
      for (let n = 0; n < 100; n++) {
        const page = await listOrders(app.kv, app.location.id, { ...query, before, limit });
        assert.ok(page.orders.length <= limit);
        seen.push(...page.orders);
        if (!page.next) return seen;
        assert.equal(page.orders.length, limit, "only the last page may be short");
        before = page.next;
      }
      assert.fail("paging did not end");
    };

    for (const limit of [1, 7, 37, 100]) {
      await t.step(`every order once, newest first (limit ${limit})`, async () => {
        assert.deepEqual(await pages({}, limit), newestFirst);
      });
    }

    await t.step("the last full page has no cursor when nothing follows", async () => {
      const page = await listOrders(app.kv, app.location.id, { limit: all.length });
      assert.equal(page.orders.length, all.length);
      assert.equal(page.next, null);
    });

    for (const status of ["pending", "queued", "cancelled", "ready"] as const) {
      await t.step(`status ${status}`, async () => {
        const expected = newestFirst.filter((o) => o.status === status);
        assert.deepEqual(await pages({ status }, 4), expected);
        // Orders of other statuses exist, and are left out.
        assert.ok(newestFirst.some((o) => o.status !== status));
        assert.ok(status === "ready" || expected.length > 0, status);
      });
    }

    await t.step("table, and table with status", async () => {
      for (const table of tables) {
        assert.deepEqual(
          await pages({ tableId: table.id }, 5),
          newestFirst.filter((o) => o.tableId === table.id),
        );
        assert.deepEqual(
          await pages({ tableId: table.id, status: "pending" }, 2),
          newestFirst.filter((o) => o.tableId === table.id && o.status === "pending"),
        );
        // Other tables' orders, and this table's of other statuses, exist and are left out.
        assert.ok(newestFirst.some((o) => o.tableId !== table.id));
        assert.ok(newestFirst.some((o) => o.tableId === table.id && o.status !== "pending"));
      }
    });

    await t.step("GET /api/orders pages and filters the same, read back whole", async () => {
      assert.deepEqual(await readOrders(app, "", { limit: 7 }), newestFirst);
      for (const status of ["pending", "queued", "cancelled"] as const) {
        assert.deepEqual(
          idsOf(await readOrders(app, `status=${status}`, { limit: 4 })),
          idsOf(newestFirst.filter((o) => o.status === status)),
        );
      }
      for (const table of tables) {
        assert.deepEqual(
          await readOrders(app, `table=${table.id}`, { limit: 5 }),
          newestFirst.filter((o) => o.tableId === table.id),
        );
        assert.deepEqual(
          idsOf(await readOrders(app, `table=${table.id}&status=queued`, { limit: 2 })),
          idsOf(newestFirst.filter((o) => o.tableId === table.id && o.status === "queued")),
        );
      }
    });
  } finally {
    app.close();
  }
});
