/**
 * The kitchen and floor writers take more for their own atomic op (`addToCommit`, for the audit
 * entry of a staff mutation): what it adds is written with the change, and what it returns goes
 * into the same feed entry; a refused change writes none of it.
 */
import assert from "node:assert/strict";
import { listChangesAfter } from "../../lib/feed/feed.ts";
import { acknowledgeServiceRequest, createServiceRequest } from "../../lib/floor/requests.ts";
import { updateSettings } from "../../lib/kitchen/settings.ts";
import { changeLineReadiness } from "../../lib/orders/moves.ts";
import { closeVisit } from "../../lib/visits/store.ts";
import {
  patchOrder,
  placeOrder,
  readTables,
  servicesTest,
  type TestServices,
} from "../fixtures.ts";

/** A hook that marks `name` in the op and adds a `location` change to its feed entry. */
function marker(s: TestServices, name: string) {
  return (op: Deno.AtomicOperation) => {
    op.set(["test_marker", name], true);
    return [{ type: "location" as const, location: { ...s.location, name } }];
  };
}

/** Whether the marker was written, and the changes of the feed entry that carries it. */
async function marked(s: TestServices, name: string) {
  const written = (await s.kv.get(["test_marker", name])).value === true;
  const entry: string[] = [];
  let versionstamp: string | null = null;
  for await (const change of listChangesAfter(s.kv, s.location.id, null)) {
    if (change.type === "location" && change.location.name === name) {
      versionstamp = change.versionstamp;
    }
  }
  if (versionstamp) {
    for await (const change of listChangesAfter(s.kv, s.location.id, null)) {
      if (change.versionstamp === versionstamp) entry.push(change.type);
    }
  }
  return { written, entry };
}

servicesTest("[kitchen] addToCommit: one atomic op, one feed entry", async (s, t) => {
  const retentionMs = s.config.eventRetentionMs;
  const locationId = s.location.id;

  await t.step("settings", async () => {
    await updateSettings(s.kv, { catalog: s.services.catalog, retentionMs }, {
      locationId,
      patch: { autoAccept: false },
      addToCommit: marker(s, "settings"),
    });
    assert.deepEqual(await marked(s, "settings"), {
      written: true,
      entry: ["settings", "location"],
    });
  });

  await t.step("a service request's acknowledgement; refused again, nothing written", async () => {
    const table = (await s.services.catalog.get(locationId))!.tablesByToken.values().next().value!;
    const request = await createServiceRequest(s.kv, { table, kind: "bill", retentionMs });
    const ack = { locationId, requestId: request.id, by: "server:x", retentionMs };
    await acknowledgeServiceRequest(s.kv, { ...ack, addToCommit: marker(s, "ack") });
    assert.deepEqual(await marked(s, "ack"), {
      written: true,
      entry: ["service_request", "location"],
    });
    await assert.rejects(
      acknowledgeServiceRequest(s.kv, { ...ack, addToCommit: marker(s, "ack again") }),
    );
    assert.deepEqual(await marked(s, "ack again"), { written: false, entry: [] });
  });

  await t.step("a line bump; a repeat changes nothing and writes nothing", async () => {
    // Not at table 9, whose visit a later step closes with its own order only.
    const order = await placeOrder(s, { lines: 2, tableToken: (await readTables(s))[0].token });
    assert.equal((await patchOrder(s, order.id, "queued")).status, 200);
    const bump = {
      locationId,
      orderId: order.id,
      index: 0,
      ready: true,
      by: "kitchen:x",
      retentionMs,
    };
    const first = await changeLineReadiness(s.kv, { ...bump, addToCommit: marker(s, "bump") });
    assert.equal(first.changed, true);
    assert.deepEqual(await marked(s, "bump"), { written: true, entry: ["order", "location"] });
    const again = await changeLineReadiness(s.kv, {
      ...bump,
      addToCommit: marker(s, "bump again"),
    });
    assert.equal(again.changed, false);
    assert.deepEqual(await marked(s, "bump again"), { written: false, entry: [] });
  });

  await t.step("a visit's close; refused while an order is open", async () => {
    const table = (await readTables(s))[9];
    const order = await placeOrder(s, { tableToken: table.token });
    const close = { locationId, tableId: table.id, by: "server:x", retentionMs };
    await assert.rejects(closeVisit(s.kv, { ...close, addToCommit: marker(s, "close early") }));
    assert.deepEqual(await marked(s, "close early"), { written: false, entry: [] });
    assert.equal((await patchOrder(s, order.id, "cancelled")).status, 200);
    await closeVisit(s.kv, { ...close, addToCommit: marker(s, "close") });
    assert.deepEqual(await marked(s, "close"), { written: true, entry: ["visit", "location"] });
  });
});
