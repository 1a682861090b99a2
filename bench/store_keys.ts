/**
 * The two KV key prefixes the order benchmark reads from a stopped server's store to check it.
 *
 * They are defined here instead of imported from lib/ on purpose: `deno task bench:compare` runs
 * this harness against the store of another revision's server, whose lib/ may be laid out
 * otherwise. Orders live under `["order", locationId, id]` and change-feed entries under
 * `["events", locationId, versionstamp]` in every revision the harness compares;
 * tests/bench_store_keys_test.ts pins these two against the server's own key builders, so a change
 * there fails the tests instead of the benchmark's store check.
 */

/** Prefix of a location's orders, one entry per order. */
export function ordersPrefix(locationId: string): Deno.KvKey {
  return ["order", locationId];
}

/** Prefix of a location's change feed, one entry per commit. */
export function eventsPrefix(locationId: string): Deno.KvKey {
  return ["events", locationId];
}
