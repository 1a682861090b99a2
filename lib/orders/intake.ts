/**
 * Placing orders, the hot path. Concurrent creations for a location share one atomic commit
 * (group commit) within the KV limits, with one change-feed entry for the whole batch. When a
 * batch fails a check, its members are retried one by one, so one bad member fails alone. Each
 * caller is answered only after the commit holding its order succeeded.
 */
import type { Catalog, CatalogSnapshot } from "../catalog/cache.ts";
import type { Config } from "../config.ts";
import { conflict, unauthorized, unavailable } from "../errors.ts";
import { newId } from "../kv/ids.ts";
import { catalogVersionKey } from "../kv/keys.ts";
import { encodeJson } from "../kv/codec.ts";
import {
  asCreated,
  getIdempotencyRecord,
  getIdempotencyRecords,
  type IdempotencyClaim,
  InFlight,
  keyReused,
  requestHash,
} from "./idempotency.ts";
import { encodeNewOrder, MAX_NEW_ORDER_BYTES, newOrder, priceLines } from "./pricing.ts";
import { commitOrderChanges, getOrder, type OrderWrite } from "./store.ts";
import type { CreateOrderInput, Order, Table } from "../schemas.ts";

/** A placed order as the guest receives it. */
export interface PlacedOrder {
  /** The order as it was created (the same on every idempotent replay). */
  order: Order;
  /** `encodeJson(order)`: what the store holds, and the body the guest is answered with. */
  json: Uint8Array;
  /** True when this answers a retry of an earlier request. */
  replayed: boolean;
  /** Milliseconds from pricing the order (its `createdAt`) to its commit being acknowledged by the store; not on replays. */
  commitMs?: number;
  /** The catalog it was priced from, current when it committed (the commit checks); not on replays. */
  snapshot?: CatalogSnapshot;
}

/** An order priced from a catalog snapshot, ready to commit. */
interface Priced {
  order: Order;
  /** `encodeJson(order)`: written to the store as is, sizes the batch exactly, and is the answer. */
  json: Uint8Array;
  /** `performance.now()` when it was priced (its `createdAt`). */
  pricedAt: number;
}

interface Member extends Priced {
  input: CreateOrderInput;
  table: Table;
  snapshot: CatalogSnapshot;
  idempotency?: Omit<IdempotencyClaim, "claimed">;
  resolve: (placed: PlacedOrder) => void;
  reject: (error: unknown) => void;
}

/** Per-commit limits that keep a batch within Deno KV's atomic-op limits. */
const FEED_ENTRY_BUDGET_BYTES = MAX_NEW_ORDER_BYTES; // a feed entry is one KV value (64 KiB max)
const OP_BUDGET_BYTES = 600 * 1024; // an atomic op carries at most 800 KiB
const MAX_SINGLE_ATTEMPTS = 10;
/**
 * Fewest waiting orders worth a commit beside one already running. A commit has a fixed cost
 * in the store besides its cost per order (bench/kv_commit.ts), so small overlapping commits
 * cost nearly as much as full ones; BENCHMARKS.md has the measurements that chose this value.
 */
const MIN_OVERLAPPING_BATCH = 24;

/** Places orders for every location of the process, batching per location. */
export class OrderIntake {
  #kv: Deno.Kv;
  #catalog: Catalog;
  #config: Config;
  #queues = new Map<string, Member[]>();
  /** Commits running per location. */
  #inFlight = new Map<string, number>();
  /** Requests with an `Idempotency-Key` being placed now. */
  #inFlightKeys = new InFlight<PlacedOrder>();

  constructor(
    kv: Deno.Kv,
    deps: { catalog: Catalog; config: Config },
  ) {
    this.#kv = kv;
    this.#catalog = deps.catalog;
    this.#config = deps.config;
  }

  /**
   * Places an order for the table holding `input.tableToken`. With an idempotency key, a repeat
   * of the same request within the window (even concurrent) gets the first answer and creates
   * nothing; the same key with another body is a 409.
   */
  async place(input: CreateOrderInput, idempotencyKeyText?: string): Promise<PlacedOrder> {
    const found = this.#catalog.peekTable(input.tableToken) ??
      await this.#catalog.findByToken(input.tableToken);
    if (!found) {
      throw unauthorized(
        "This table code is not valid; scan the table's QR code again.",
        "invalid_table_token",
      );
    }
    const { snapshot, table } = found;
    if (table.status === "out_of_service") throw tableUnavailable();
    if (snapshot.settings.orderingPaused) {
      // A retry of an order placed before the pause still gets its first answer.
      const replay = idempotencyKeyText &&
        await this.#replayOf(table, idempotencyKeyText, requestHash(input));
      if (replay) return replay;
      throw conflict("ordering_paused", snapshot.settings.pausedMessage);
    }
    if (!idempotencyKeyText) return await this.#enqueue(input, table, snapshot);

    const hash = requestHash(input);
    const scope = {
      locationId: table.locationId,
      tableId: table.id,
      key: idempotencyKeyText,
      requestHash: hash,
    };
    const { result, replayed } = await this.#inFlightKeys.run(
      scope,
      () =>
        this.#enqueue(input, table, snapshot, {
          key: idempotencyKeyText,
          requestHash: hash,
          expiresAt: Date.now() + this.#config.idempotencyTtlMs,
        }),
    );
    return replayed ? { order: result.order, json: result.json, replayed: true } : result;
  }

  /** The first answer to an earlier request with this key, if there is one. */
  async #replayOf(table: Table, key: string, hash: string): Promise<PlacedOrder | null> {
    const seen = await getIdempotencyRecord(this.#kv, table.locationId, { tableId: table.id, key });
    if (!seen.record || seen.record.expiresAt <= Date.now()) return null;
    if (seen.record.requestHash !== hash) throw keyReused();
    const first = await getOrder(this.#kv, table.locationId, seen.record.orderId);
    if (!first) return null;
    const order = asCreated(first);
    return { order, json: encodeJson(order), replayed: true };
  }

  #enqueue(
    input: CreateOrderInput,
    table: Table,
    snapshot: CatalogSnapshot,
    idempotency?: Member["idempotency"],
  ): Promise<PlacedOrder> {
    const priced = this.#price(input, table, snapshot);
    return new Promise((resolve, reject) => {
      const member: Member = { ...priced, input, table, snapshot, idempotency, resolve, reject };
      const queue = this.#queues.get(table.locationId);
      if (queue) queue.push(member);
      else this.#queues.set(table.locationId, [member]);
      this.#drain(table.locationId);
    });
  }

  #price(input: CreateOrderInput, table: Table, snapshot: CatalogSnapshot): Priced {
    const { lines, totalCents } = priceLines(input.items, snapshot.items);
    const order = newOrder({
      id: newId(),
      table,
      currency: snapshot.location.currency,
      lines,
      totalCents,
      note: input.note ?? "",
      now: new Date(),
      autoAccept: snapshot.settings.autoAccept,
    });
    return { order, json: encodeNewOrder(order), pricedAt: performance.now() };
  }

  /**
   * Starts commits for the location's queue while fewer than `batchMaxInFlight` are running; a
   * commit beside a running one only for a batch of `MIN_OVERLAPPING_BATCH` or more, since tiny
   * batches cost the store nearly as much as full ones. A commit's slot is freed as soon as the
   * store has answered it, before its members are answered.
   */
  #drain(locationId: string): void {
    const queue = this.#queues.get(locationId);
    let running = this.#inFlight.get(locationId) ?? 0;
    while (
      queue?.length && running < this.#config.batchMaxInFlight &&
      (running === 0 || queue.length >= MIN_OVERLAPPING_BATCH)
    ) {
      const batch = this.#takeBatch(queue);
      running++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = (this.#inFlight.get(locationId) ?? 1) - 1;
        if (left) this.#inFlight.set(locationId, left);
        else this.#inFlight.delete(locationId);
        this.#drain(locationId);
      };
      this.#commitBatch(batch, release).catch((error) => {
        for (const member of batch) member.reject(error); // no-op for those already answered
      }).finally(release);
    }
    if (running) this.#inFlight.set(locationId, running);
    if (queue && !queue.length) this.#queues.delete(locationId);
  }

  /** Takes the longest prefix of the queue that fits one atomic op. */
  #takeBatch(queue: Member[]): Member[] {
    const { batchMaxOrders, batchMaxChecks } = this.#config;
    let checks = 1; // the catalog version
    let feedBytes = 0;
    let count = 0;
    const versionstamp = queue[0].snapshot.versionstamp;
    for (const member of queue) {
      // A new order's key is fresh and not checked; a claimed idempotency key is.
      const memberChecks = member.idempotency ? 1 : 0;
      const bytes = member.json.length;
      const fits = count < batchMaxOrders && checks + memberChecks <= batchMaxChecks &&
        feedBytes + bytes <= FEED_ENTRY_BUDGET_BYTES &&
        (feedBytes + bytes) * 2 <= OP_BUDGET_BYTES &&
        member.snapshot.versionstamp === versionstamp;
      if (!fits && count > 0) break;
      checks += memberChecks;
      feedBytes += bytes;
      count++;
    }
    return queue.splice(0, count);
  }

  /** Commits a batch and answers its members; calls `release` once the shared commit settled. */
  async #commitBatch(batch: Member[], release: () => void): Promise<void> {
    const now = new Date();
    let committed: string | null = null;
    try {
      committed = await commitOrderChanges(this.#kv, batch.map((m) => change(m, null)), {
        now,
        retentionMs: this.#config.eventRetentionMs,
        catalogVersionstamp: batch[0].snapshot.versionstamp,
      });
    } catch (error) {
      release();
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
    }
    release();
    if (committed) {
      const committedAt = performance.now();
      for (const member of batch) member.resolve(placed(member, committedAt));
      return;
    }
    // A check failed. Most often another instance claimed one of the keys first: answer those
    // members from the store and commit the rest together again. Otherwise (the menu changed,
    // or that commit fails too) each member on its own.
    const rest = await this.#settleClaimed(batch);
    await Promise.all(
      rest.map((member) => this.#commitAlone(member).then(member.resolve, member.reject)),
    );
  }

  /**
   * After a batch failed its checks: answers the members whose idempotency key is claimed by now
   * (the first order, or 409 for another body), commits the others in one batch again with the
   * claims as read, and returns whoever is still unplaced.
   */
  async #settleClaimed(batch: Member[]): Promise<Member[]> {
    const locationId = batch[0].table.locationId;
    const version = await this.#kv.get(catalogVersionKey(locationId));
    if (version.versionstamp !== batch[0].snapshot.versionstamp) return batch;
    const keyed = batch.filter((member) => member.idempotency);
    const seen = await getIdempotencyRecords(
      this.#kv,
      locationId,
      keyed.map((m) => ({ tableId: m.table.id, key: m.idempotency!.key })),
    );
    const claims = new Map<Member, string | null>();
    const answered = new Set<Member>();
    const now = Date.now();
    await Promise.all(keyed.map(async (member, i) => {
      const { record, versionstamp } = seen[i];
      if (!record || record.expiresAt <= now) {
        claims.set(member, versionstamp);
        return;
      }
      if (record.requestHash !== member.idempotency!.requestHash) {
        answered.add(member);
        member.reject(keyReused());
        return;
      }
      const first = await getOrder(this.#kv, locationId, record.orderId);
      if (!first) return; // left for `#commitAlone`
      answered.add(member);
      const order = asCreated(first);
      member.resolve({ order, json: encodeJson(order), replayed: true });
    }));
    const again = batch.filter((m) => !answered.has(m) && (!m.idempotency || claims.has(m)));
    const others = batch.filter((m) => !answered.has(m) && !again.includes(m));
    if (again.length < 2) return [...again, ...others];
    const committed = await commitOrderChanges(
      this.#kv,
      again.map((m) => change(m, claims.get(m) ?? null)),
      {
        now: new Date(),
        retentionMs: this.#config.eventRetentionMs,
        catalogVersionstamp: again[0].snapshot.versionstamp,
      },
    ).catch(() => null);
    if (!committed) return [...again, ...others];
    const committedAt = performance.now();
    for (const member of again) member.resolve(placed(member, committedAt));
    return others;
  }

  /** Places one member by itself, re-reading whatever made its batch fail. */
  async #commitAlone(member: Member): Promise<PlacedOrder> {
    for (let attempt = 0; attempt < MAX_SINGLE_ATTEMPTS; attempt++) {
      const locationId = member.table.locationId;
      const version = await this.#kv.get(catalogVersionKey(locationId));
      if (version.versionstamp !== member.snapshot.versionstamp) {
        this.#catalog.invalidate(locationId);
        const fresh = await this.#catalog.findByToken(member.input.tableToken);
        if (!fresh) {
          throw unauthorized("This table code is no longer valid.", "invalid_table_token");
        }
        if (fresh.table.status === "out_of_service") throw tableUnavailable();
        member.table = fresh.table;
        member.snapshot = fresh.snapshot;
        Object.assign(member, this.#price(member.input, fresh.table, fresh.snapshot));
      }
      let claimed: string | null = null;
      if (member.idempotency) {
        const seen = await getIdempotencyRecord(this.#kv, locationId, {
          tableId: member.table.id,
          key: member.idempotency.key,
        });
        if (seen.record && seen.record.expiresAt > Date.now()) {
          if (seen.record.requestHash !== member.idempotency.requestHash) throw keyReused();
          const first = await getOrder(this.#kv, locationId, seen.record.orderId);
          if (first) {
            const order = asCreated(first);
            return { order, json: encodeJson(order), replayed: true };
          }
        }
        claimed = seen.versionstamp;
      }
      const committed = await commitOrderChanges(this.#kv, [change(member, claimed)], {
        now: new Date(),
        retentionMs: this.#config.eventRetentionMs,
        catalogVersionstamp: member.snapshot.versionstamp,
      });
      if (committed) {
        return placed(member, performance.now());
      }
    }
    throw unavailable("Orders are arriving faster than the menu settles; try again.");
  }
}

function placed(member: Member, committedAt: number): PlacedOrder {
  return {
    order: member.order,
    json: member.json,
    replayed: false,
    commitMs: committedAt - member.pricedAt,
    snapshot: member.snapshot,
  };
}

function change(member: Member, claimed: string | null): OrderWrite {
  return {
    order: member.order,
    json: member.json,
    previous: null,
    idempotency: member.idempotency && { ...member.idempotency, claimed },
  };
}

function tableUnavailable() {
  return conflict(
    "table_unavailable",
    "This table is not taking orders right now; please ask a member of staff.",
  );
}
