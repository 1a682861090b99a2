/** Orders as values (lib/order.ts) and the limits of CreateOrderInput (lib/schemas.ts). */
import assert from "node:assert/strict";
import { AppError } from "../../lib/errors.ts";
import { asCreated } from "../../lib/orders/idempotency.ts";
import { moveOrder } from "../../lib/orders/lifecycle.ts";
import { newOrder, priceLines } from "../../lib/orders/pricing.ts";
import { statusOf } from "../../routes/error_response.ts";
import { CreateOrderInput, type MenuItem, type Table } from "../../lib/schemas.ts";
import { randomInt, randomText } from "../fixtures.ts";

function randomItem(overrides: Partial<MenuItem> = {}): MenuItem {
  return {
    id: crypto.randomUUID(),
    name: randomText(12),
    description: "",
    priceCents: 1 + randomInt(5000),
    category: "Mains",
    available: true,
    allergens: [],
    dietary: [],
    station: "kitchen",
    optionGroups: [],
    translations: {},
    ...overrides,
  };
}

function menuOf(...items: MenuItem[]): Map<string, MenuItem> {
  return new Map(items.map((i) => [i.id, i]));
}

const TABLE: Table = {
  id: "table-1",
  locationId: "loc-1",
  number: 7,
  seats: 4,
  status: "available",
  token: "tok",
};

function captured(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
  assert.fail("expected an AppError");
}

Deno.test("[order] priceLines()", async (t) => {
  await t.step("totals come from the menu's prices, not the client's", () => {
    const a = randomItem();
    const b = randomItem();
    const qa = 1 + randomInt(50);
    const qb = 1 + randomInt(50);
    const requested = [
      { menuItemId: a.id, quantity: qa, priceCents: 1, unitPriceCents: 1 },
      { menuItemId: b.id, quantity: qb, note: "no ice", lineTotalCents: 0 },
    ] as unknown as CreateOrderInput["items"];
    const { lines, totalCents } = priceLines(requested, menuOf(a, b));
    assert.equal(totalCents, a.priceCents * qa + b.priceCents * qb);
    assert.deepEqual(lines, [
      {
        menuItemId: a.id,
        name: a.name,
        quantity: qa,
        unitPriceCents: a.priceCents,
        lineTotalCents: a.priceCents * qa,
        note: "",
        options: [],
        station: "kitchen",
        readyAt: null,
      },
      {
        menuItemId: b.id,
        name: b.name,
        quantity: qb,
        unitPriceCents: b.priceCents,
        lineTotalCents: b.priceCents * qb,
        note: "no ice",
        options: [],
        station: "kitchen",
        readyAt: null,
      },
    ]);
  });

  await t.step("client prices in a parsed body are stripped by the schema", () => {
    const parsed = CreateOrderInput.parse({
      tableToken: "t",
      items: [{ menuItemId: "x", quantity: 1, unitPriceCents: 1 }],
      totalCents: 1,
    });
    assert.deepEqual(parsed, { tableToken: "t", items: [{ menuItemId: "x", quantity: 1 }] });
  });

  await t.step("an unknown item is a 422 unknown_item naming its line", () => {
    const a = randomItem();
    const error = captured(() =>
      priceLines([
        { menuItemId: a.id, quantity: 1 },
        { menuItemId: "nope", quantity: 1 },
        { menuItemId: a.id, quantity: 2 },
        { menuItemId: "gone", quantity: 1 },
      ], menuOf(a))
    );
    assert.equal(statusOf(error), 422);
    assert.equal(error.code, "unknown_item");
    assert.deepEqual(error.details?.map((d) => d.path), [
      "items.1.menuItemId",
      "items.3.menuItemId",
    ]);
  });

  await t.step("an unavailable item is a 409 item_unavailable naming its line", () => {
    const a = randomItem();
    const off = randomItem({ available: false });
    const error = captured(() =>
      priceLines(
        [{ menuItemId: a.id, quantity: 1 }, { menuItemId: off.id, quantity: 1 }],
        menuOf(a, off),
      )
    );
    assert.equal(statusOf(error), 409);
    assert.equal(error.code, "item_unavailable");
    assert.deepEqual(error.details?.map((d) => d.path), ["items.1.menuItemId"]);
  });

  await t.step("unknown wins over unavailable (422 before 409)", () => {
    const off = randomItem({ available: false });
    const error = captured(() =>
      priceLines(
        [{ menuItemId: off.id, quantity: 1 }, { menuItemId: "x", quantity: 1 }],
        menuOf(off),
      )
    );
    assert.equal(statusOf(error), 422);
  });
});

Deno.test("[order] newOrder(), moveOrder(), asCreated()", async (t) => {
  const item = randomItem();
  const { lines, totalCents } = priceLines([{ menuItemId: item.id, quantity: 3 }], menuOf(item));
  const created = new Date("2026-01-01T10:00:00.000Z");
  const order = newOrder({
    id: "o1",
    table: TABLE,
    currency: "EUR",
    lines,
    totalCents,
    note: "window seat",
    now: created,
  });

  await t.step("a new order is pending, version 1, with one history entry", () => {
    assert.equal(order.status, "pending");
    assert.equal(order.version, 1);
    assert.equal(order.locationId, TABLE.locationId);
    assert.equal(order.tableId, TABLE.id);
    assert.equal(order.tableNumber, TABLE.number);
    assert.equal(order.totalCents, item.priceCents * 3);
    assert.equal(order.createdAt, created.toISOString());
    assert.equal(order.updatedAt, created.toISOString());
    assert.deepEqual(order.history, [{
      status: "pending",
      at: created.toISOString(),
      by: "guest",
    }]);
  });

  const t1 = new Date("2026-01-01T10:01:00.000Z");
  const t2 = new Date("2026-01-01T10:02:00.000Z");
  const queued = moveOrder(order, "queued", "server:abc", t1);
  const preparing = moveOrder(queued, "preparing", "kitchen:def", t2);

  await t.step("a move bumps the version and appends one history entry", () => {
    assert.equal(preparing.status, "preparing");
    assert.equal(preparing.version, 3);
    assert.equal(preparing.updatedAt, t2.toISOString());
    assert.equal(preparing.createdAt, created.toISOString());
    assert.deepEqual(preparing.history.map((h) => [h.status, h.by, h.at]), [
      ["pending", "guest", created.toISOString()],
      ["queued", "server:abc", t1.toISOString()],
      ["preparing", "kitchen:def", t2.toISOString()],
    ]);
  });

  await t.step("a move does not change the order it was given", () => {
    assert.equal(order.status, "pending");
    assert.equal(order.history.length, 1);
    assert.equal(queued.history.length, 2);
  });

  await t.step("asCreated gives back the order as first answered", () => {
    assert.deepEqual(asCreated(preparing), order);
    assert.deepEqual(asCreated(order), order);
  });
});

Deno.test("[order] CreateOrderInput limits", async (t) => {
  const body = (overrides: Record<string, unknown> = {}, line: Record<string, unknown> = {}) => ({
    tableToken: "tok",
    items: [{ menuItemId: "m1", quantity: 1, ...line }],
    ...overrides,
  });
  const lines = (n: number) => Array.from({ length: n }, () => ({ menuItemId: "m", quantity: 1 }));
  const ok = (value: unknown) => CreateOrderInput.safeParse(value).success;
  const failsAt = (value: unknown) => {
    const result = CreateOrderInput.safeParse(value);
    assert.equal(result.success, false);
    return result.error!.issues.map((i) => i.path.join("."));
  };

  await t.step("quantity 1..50", () => {
    assert.deepEqual(failsAt(body({}, { quantity: 0 })), ["items.0.quantity"]);
    assert.ok(ok(body({}, { quantity: 1 })));
    assert.ok(ok(body({}, { quantity: 50 })));
    assert.deepEqual(failsAt(body({}, { quantity: 51 })), ["items.0.quantity"]);
    assert.deepEqual(failsAt(body({}, { quantity: 1.5 })), ["items.0.quantity"]);
  });

  await t.step("lines 1..100", () => {
    assert.deepEqual(failsAt(body({ items: [] })), ["items"]);
    assert.ok(ok(body({ items: lines(1) })));
    assert.ok(ok(body({ items: lines(100) })));
    assert.deepEqual(failsAt(body({ items: lines(101) })), ["items"]);
  });

  await t.step("line note up to 200 characters", () => {
    assert.ok(ok(body({}, { note: "x".repeat(200) })));
    assert.deepEqual(failsAt(body({}, { note: "x".repeat(201) })), ["items.0.note"]);
  });

  await t.step("order note up to 500 characters", () => {
    assert.ok(ok(body({ note: "x".repeat(500) })));
    assert.deepEqual(failsAt(body({ note: "x".repeat(501) })), ["note"]);
  });
});
