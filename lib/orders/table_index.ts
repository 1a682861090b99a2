/**
 * The orders-by-table index, written behind the change feed by a `FeedConsumer` instead of in
 * each order's commit: an index entry lands at its table's place in the store, so in the order
 * commit a batch for a dozen tables would dirty a dozen more store pages, while here hundreds of
 * orders share them (BENCHMARKS.md has the measurement). Its cursor lives in the store, shared by
 * every process; `GET /orders?table=` calls `sync` first, so it sees every order committed before.
 */
import { encodeTime } from "ulid";
import { decodeJson, NO_VALUE } from "../kv/codec.ts";
import {
  type ConsumerOptions,
  FeedConsumer,
  type FeedSink,
  type SinkCursor,
} from "../feed/consumer.ts";
import type { FeedPosition } from "../feed/feed.ts";
import { orderByTableKey, ordersPrefix, tableIndexCursorKey } from "../kv/keys.ts";
import type { Order } from "../schemas.ts";

/** The stored cursor: the last change indexed, and when it was advanced (ms). */
export interface TableIndexCursor {
  position: FeedPosition | null;
  at: number;
}

/** Most index entries in one repair commit (KV allows 1,000 mutations). */
const ENTRIES_PER_COMMIT = 500;

/** Keeps each location's orders-by-table index written up to the change feed. */
export function tableIndex(kv: Deno.Kv, options: ConsumerOptions): FeedConsumer {
  return new FeedConsumer(kv, tableIndexSink(kv), { batchChanges: 400, ...options });
}

/** The sink that writes index entries for the orders created in the feed. */
export function tableIndexSink(kv: Deno.Kv): FeedSink {
  return {
    name: "table index",
    async readCursor(locationId: string): Promise<SinkCursor> {
      const entry = await kv.get<TableIndexCursor>(tableIndexCursorKey(locationId));
      return {
        position: entry.value?.position ?? null,
        at: entry.value?.at ?? null,
        check: entry,
      };
    },
    async apply(locationId, batch): Promise<boolean> {
      const op = kv.atomic().check(batch.read.check as Deno.KvEntryMaybe<TableIndexCursor>);
      for (const change of batch.changes) {
        // A creation is the only order change at version 1; an order never changes table.
        if (change.type === "order" && change.order.version === 1) {
          op.set(orderByTableKey(locationId, change.order.tableId, change.order.id), NO_VALUE);
        }
      }
      const cursor: TableIndexCursor = { position: batch.next, at: batch.now };
      return (await op.set(tableIndexCursorKey(locationId), cursor).commit()).ok;
    },
    async repair(locationId: string, sinceMs: number): Promise<void> {
      // Order ids are time-ordered: index every order priced since `sinceMs`.
      const prefix = ordersPrefix(locationId);
      const start = [...prefix, encodeTime(Math.max(0, sinceMs), 10)];
      let op = kv.atomic();
      let count = 0;
      for await (
        const entry of kv.list<Uint8Array>({ start, end: [...prefix, "\uffff"] }, {
          batchSize: 500,
        })
      ) {
        const order = decodeJson<Order>(entry.value);
        op.set(orderByTableKey(locationId, order.tableId, order.id), NO_VALUE);
        if (++count % ENTRIES_PER_COMMIT === 0) {
          await op.commit();
          op = kv.atomic();
        }
      }
      if (count % ENTRIES_PER_COMMIT) await op.commit();
    },
  };
}
