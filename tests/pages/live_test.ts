/**
 * The pure parts of the live staff screens (islands/live): the SSE parser and the board that
 * events and tap answers update, and the allergen index the kitchen reads lines with.
 */
import assert from "node:assert/strict";
import { SseParser } from "../../islands/live/sse.ts";
import {
  applyEvent,
  type Board,
  enteredAt,
  fromSnapshot,
  type LiveOrder,
  openOrders,
  openRequests,
  withOrder,
} from "../../islands/live/board.ts";
import { ageText, agoText } from "../../islands/live/clock.ts";
import { allergenIndex, lineAllergens } from "../../lib/pages/allergens.ts";
import type { ServiceRequest } from "../../lib/floor/requests.ts";

function order(id: string, version: number, status: LiveOrder["status"] = "queued"): LiveOrder {
  return {
    id,
    locationId: "l",
    tableId: "t",
    tableNumber: 1,
    items: [],
    note: "",
    totalCents: 100,
    currency: "EUR",
    status,
    version,
    createdAt: `2026-01-01T10:00:0${id.length % 10}.000Z`,
    updatedAt: "2026-01-01T10:00:00.000Z",
    history: [{ status: "pending", at: "2026-01-01T10:00:00.000Z", by: "guest" }, {
      status: "queued",
      at: "2026-01-01T10:01:00.000Z",
      by: "system",
    }],
  };
}

function request(id: string, version: number, status: ServiceRequest["status"]): ServiceRequest {
  return {
    id,
    locationId: "l",
    tableId: "t",
    tableNumber: 3,
    kind: "call_server",
    note: "",
    status,
    createdAt: "2026-01-01T10:00:00.000Z",
    acknowledgedAt: null,
    acknowledgedBy: null,
    version,
  };
}

Deno.test("[live] SseParser", async (t) => {
  await t.step("events split anywhere, comments skipped, ids kept", () => {
    const parser = new SseParser();
    const text = 'retry: 1000\n\n: keep-alive\n\nid: 7\nevent: order\ndata: {"a":1}\n\n' +
      "event: snapshot\r\ndata: x\r\ndata: y\r\n\r\n";
    const events = [];
    for (let i = 0; i < text.length; i += 3) events.push(...parser.push(text.slice(i, i + 3)));
    assert.deepEqual(events, [
      { event: "order", data: '{"a":1}', id: "7" },
      { event: "snapshot", data: "x\ny", id: undefined },
    ]);
  });
  await t.step("an event without data is none; without a name it is a message", () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push("event: order\n\ndata:plain\n\n"), [
      { event: "message", data: "plain", id: undefined },
    ]);
  });
});

Deno.test("[live] board", async (t) => {
  const start = fromSnapshot({
    orders: [order("a", 2), order("bb", 1)],
    requests: [request("r", 1, "open")],
  });
  await t.step("an older version is ignored, a newer one replaces", () => {
    assert.equal(withOrder(start, order("a", 1, "pending")), start);
    const next = withOrder(start, order("a", 3, "preparing"));
    assert.equal(next.orders.a.status, "preparing");
    assert.equal(start.orders.a.status, "queued", "the board before is unchanged");
  });
  await t.step("a replay after a reconnect holds each order once", () => {
    let board: Board = start;
    for (const o of [order("a", 3), order("ccc", 1), order("a", 3), order("ccc", 1)]) {
      board = applyEvent(board, "order", o);
    }
    assert.deepEqual(openOrders(board).map((o) => o.id), ["a", "bb", "ccc"]);
  });
  await t.step("closed and cancelled leave the open list; a snapshot replaces all", () => {
    let board = applyEvent(start, "order", order("bb", 2, "cancelled"));
    assert.deepEqual(openOrders(board).map((o) => o.id), ["a"]);
    // A late echo of an older version does not bring it back.
    board = applyEvent(board, "order", order("bb", 1));
    assert.deepEqual(openOrders(board).map((o) => o.id), ["a"]);
    board = applyEvent(board, "snapshot", { orders: [order("z", 1)] });
    assert.deepEqual(Object.keys(board.orders), ["z"]);
    assert.deepEqual(board.requests, {});
  });
  await t.step("requests: acknowledged ones leave the open list", () => {
    assert.deepEqual(openRequests(start).map((r) => r.id), ["r"]);
    const board = applyEvent(start, "request", request("r", 2, "acknowledged"));
    assert.deepEqual(openRequests(board), []);
    assert.equal(applyEvent(board, "request", request("r", 1, "open")), board);
  });
  await t.step("settings: the last sent is held, through a snapshot too", () => {
    assert.equal(start.settings, undefined, "none until the stream sends them");
    const first = {
      autoAccept: false,
      orderingPaused: false,
      ticketWarnMinutes: 7,
      ticketLateMinutes: 12,
    };
    let board = applyEvent(start, "settings", first);
    assert.deepEqual(board.settings, first);
    assert.equal(board.orders, start.orders, "the tickets are untouched");
    board = applyEvent(board, "settings", { ...first, autoAccept: true });
    assert.equal(board.settings?.autoAccept, true);
    board = applyEvent(board, "snapshot", { orders: [order("z", 1)] });
    assert.deepEqual(Object.keys(board.orders), ["z"]);
    assert.deepEqual(board.settings, { ...first, autoAccept: true }, "kept: none in it");
    board = applyEvent(board, "snapshot", { orders: [], settings: first });
    assert.deepEqual(board.settings, first, "a snapshot's own replace them");
  });
  await t.step("unknown events change nothing; enteredAt reads the history", () => {
    assert.equal(applyEvent(start, "eta", {}), start);
    assert.equal(enteredAt(start.orders.a, "queued"), "2026-01-01T10:01:00.000Z");
    assert.equal(enteredAt(start.orders.a, "ready"), start.orders.a.createdAt);
  });
});

Deno.test("[live] ages and staleness", () => {
  const m = { ago_now: "now", ago_seconds: "{n} s", ago_minutes: "{n} min" };
  assert.equal(agoText(2_000, m), "now");
  assert.equal(agoText(42_000, m), "42 s");
  assert.equal(agoText(150_000, m), "2 min");
  assert.equal(ageText(65_000), "1:05");
  assert.equal(ageText(3_725_000), "1:02:05");
  assert.equal(ageText(-5), "0:00");
});

Deno.test("[live] allergens of a line: the item's and its options'", () => {
  const index = allergenIndex([
    {
      id: "burger",
      allergens: ["gluten"],
      optionGroups: [{
        options: [{ id: "cheese", allergens: ["milk"] }, { id: "plain", allergens: [] }],
      }],
    },
    { id: "water", allergens: [], optionGroups: [] },
  ]);
  assert.deepEqual(
    lineAllergens(index, { menuItemId: "burger", options: [{ optionId: "cheese" }] }),
    ["gluten", "milk"],
  );
  assert.deepEqual(lineAllergens(index, { menuItemId: "water" }), []);
  assert.equal(lineAllergens(index, { menuItemId: "new-item" }), null, "unknown: not 'none'");
});
