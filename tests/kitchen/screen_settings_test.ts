/**
 * Screens follow the settings: a manager's change of the ticket ages or auto-accept reaches every
 * open staff stream (expo, station, floor) as a `settings` event with an id, in commit order with
 * the orders, and resumes exactly like them; a guest's stream never sees it.
 */
import assert from "node:assert/strict";
import { call, expect, OWNER_TOKEN } from "../fixtures.ts";
import { type RawEvent, RawSse, type StreamServer, streamTest } from "../routes/stream_fixture.ts";

const SCREEN_FIELDS = ["autoAccept", "orderingPaused", "ticketLateMinutes", "ticketWarnMinutes"];

/** The events but the first (the snapshot) as `[event, data]`. */
function after(events: RawEvent[]) {
  return events.slice(1).map((e) => [e.event, JSON.parse(e.data)]);
}

async function changeSettings(t: StreamServer, body: Record<string, unknown>) {
  return expect(await call(t, "PATCH", "/api/settings", { token: OWNER_TOKEN, body }), 200);
}

function checks(window: string) {
  return async (t: StreamServer) => {
    const stationed = t.items.find((i) => i.station === "bar")!.station;
    const expo = await t.kitchen();
    const station = await RawSse.open(`${t.kitchenUrl()}&station=${stationed}`);
    const floor = await RawSse.open(t.kitchenUrl(OWNER_TOKEN));
    const order = await t.place();
    const guest = await t.follow(order);
    try {
      for (const stream of [expo, floor]) await stream.untilEvents(2);
      await guest.untilEvents(1);

      const settings = await changeSettings(t, { ticketWarnMinutes: 7, ticketLateMinutes: 12 });
      assert.equal(settings.ticketWarnMinutes, 7);
      const screen = {
        autoAccept: false,
        orderingPaused: false,
        ticketWarnMinutes: 7,
        ticketLateMinutes: 12,
      };
      for (const stream of [expo, floor]) {
        await stream.untilEvents(3);
        const event = stream.events[2];
        assert.equal(event.event, "settings", window);
        assert.deepEqual(JSON.parse(event.data), screen);
        assert.deepEqual(Object.keys(JSON.parse(event.data)).sort(), SCREEN_FIELDS, "no more");
        assert.match(event.id!, /^[0-9a-f]{20}-\d+/);
      }
      await station.untilEvents(2);
      assert.deepEqual(after(station.events), [["settings", screen]], "a station screen too");

      // In commit order with the orders; the guest sees its order move and nothing else.
      await t.move(order.id, "queued");
      await changeSettings(t, { autoAccept: true });
      for (const stream of [expo, floor]) {
        await stream.untilEvents(5);
        assert.deepEqual(after(stream.events).map(([event]) => event), [
          "order",
          "settings",
          "order",
          "settings",
        ]);
        assert.equal(JSON.parse(stream.events[4].data).autoAccept, true);
      }
      await guest.untilEvents(2);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(guest.events.map((e) => e.event), ["order", "order"], "no settings");
      assert.equal(JSON.parse(guest.events[1].data).status, "queued");

      // Resume after the first order event: the rest exactly, settings included; after the last
      // settings event: nothing, then what comes next.
      const resumed = await t.kitchen({
        authorization: `Bearer ${t.kitchenToken}`,
        "last-event-id": expo.events[1].id!,
      });
      const fromLast = await t.kitchen({
        authorization: `Bearer ${t.kitchenToken}`,
        "last-event-id": expo.events[4].id!,
      });
      try {
        await resumed.untilEvents(3);
        assert.deepEqual(
          resumed.events.map((e) => [e.id, e.event, e.data]),
          expo.events.slice(2).map((e) => [e.id, e.event, e.data]),
          window,
        );
        await changeSettings(t, { ticketLateMinutes: 30 });
        await fromLast.untilEvents(1);
        assert.equal(fromLast.events[0].event, "settings");
        assert.equal(JSON.parse(fromLast.events[0].data).ticketLateMinutes, 30);
        // A fresh screen's snapshot holds the settings as of its position; a guest's has none.
        const fresh = await t.kitchen();
        try {
          await fresh.untilEvents(1);
          assert.equal(fresh.events[0].event, "snapshot");
          assert.deepEqual(JSON.parse(fresh.events[0].data).settings, {
            autoAccept: true,
            orderingPaused: false,
            ticketWarnMinutes: 7,
            ticketLateMinutes: 30,
          });
        } finally {
          await fresh.close();
        }
      } finally {
        await resumed.close();
        await fromLast.close();
      }
    } finally {
      for (const stream of [expo, station, floor, guest]) await stream.close();
    }
  };
}

streamTest("[kitchen] screens follow the settings: replayed from memory", checks("memory"));
streamTest(
  "[kitchen] screens follow the settings: replayed from the store",
  checks("store"),
  // A window of one change: every resume here reads the store.
  { hub: { windowSize: 1 } },
);
