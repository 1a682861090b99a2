/**
 * A guest's resume reads that order's own changes only (lib/feed/hub.ts with the per-order index
 * of lib/orders/store.ts): from the oldest id of a long feed, the work is a handful of reads, and
 * the replay is exactly the order's changes after that id.
 */
import assert from "node:assert/strict";
import { Hubs } from "../../lib/feed/hub.ts";
import { listChangesAfter, type OrderFeedChange } from "../../lib/feed/feed.ts";
import {
  moveOrder,
  OWNER_TOKEN,
  patchOrder,
  postOrder,
  readOrder,
  servicesTest,
} from "../fixtures.ts";
import { simpleOrder, tokensByNumber } from "../routes/hardening_fixture.ts";

/** `kv` that counts the entries it reads (each `get`, each entry a `list` yields). */
function countingStore(kv: Deno.Kv): { kv: Deno.Kv; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(kv, {
    get(target, name) {
      const value = Reflect.get(target, name, target);
      if (name === "get") {
        return (...args: Parameters<Deno.Kv["get"]>) => {
          reads++;
          return target.get(...args);
        };
      }
      if (name === "list") {
        return (...args: Parameters<Deno.Kv["list"]>) => {
          const inner = target.list(...args);
          return (async function* () {
            for await (const entry of inner) {
              reads++;
              yield entry;
            }
          })();
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: counted, reads: () => reads };
}

servicesTest(
  "[guest resume] from the oldest id of a long feed: that order's changes, bounded reads",
  async (s) => {
    const tokens = await tokensByNumber(s);
    const mine = await postOrder(s, await simpleOrder(s, tokens.get(1)!));
    const queued = await moveOrder(s, mine.id, "queued");
    // A long feed after it: 300 other orders, each moved by itself (one feed entry a move).
    const others = await Promise.all(
      Array.from(
        { length: 300 },
        (_, i) => simpleOrder(s, tokens.get(2 + (i % 10))!).then((body) => postOrder(s, body)),
      ),
    );
    for (const other of others) {
      const response = await patchOrder(s, other.id, "queued", { token: OWNER_TOKEN });
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    const preparing = await moveOrder(s, mine.id, "preparing");
    const ready = await moveOrder(s, mine.id, "ready");

    let oldest: string | null = null;
    let feedLength = 0;
    for await (const change of listChangesAfter(s.kv, s.location.id, null)) {
      feedLength++;
      if (change.type === "order" && change.order.id === mine.id && oldest === null) {
        oldest = change.id;
      }
    }
    assert.ok(oldest);
    assert.ok(feedLength > 600, `a feed of ${feedLength} changes`);

    // A hub whose memory holds only the last few changes, so the resume goes to the store.
    const counting = countingStore(s.kv);
    const hubs = new Hubs(counting.kv, { windowSize: 4 });
    try {
      const hub = await hubs.get(s.location.id);
      const before = counting.reads();
      const subscription = await hub.subscribe({ after: oldest, orderId: mine.id });
      const reads = counting.reads() - before;
      assert.equal(subscription.start.kind, "replay");
      const changes = subscription.start.kind === "replay" ? subscription.start.changes : [];
      assert.deepEqual(changes.map((c) => (c as OrderFeedChange).order), [
        queued,
        preparing,
        ready,
      ]);
      assert.deepEqual(ready, await readOrder(s, mine.id));
      // Ids are feed positions in order, after the one resumed from.
      const ids = changes.map((c) => c.id);
      assert.deepEqual([...ids].sort(), ids);
      assert.ok(ids.every((id) => id > oldest!));
      // The order's entries, not the feed: a few reads where the whole feed is hundreds.
      assert.ok(reads <= 12, `${reads} reads for a resume (feed: ${feedLength} changes)`);
      subscription.close();

      // The kitchen stream (no order) still replays the whole feed between, as before.
      const kitchenBefore = counting.reads();
      const kitchen = await hub.subscribe({ after: oldest });
      assert.ok(counting.reads() - kitchenBefore > 300);
      assert.equal(kitchen.start.kind, "replay");
      kitchen.close();
    } finally {
      hubs.close();
    }
  },
);
