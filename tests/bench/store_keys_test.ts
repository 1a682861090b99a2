/**
 * The benchmark harness defines the store prefixes it counts on its own (bench/store_keys.ts), so
 * that it can read the store of any revision's server; here they are held to the server's keys.
 */
import assert from "node:assert/strict";
import * as bench from "../../bench/store_keys.ts";
import { eventsPrefix, ordersPrefix } from "../../lib/kv/keys.ts";

Deno.test("[bench] store prefixes are the server's order and change-feed prefixes", () => {
  assert.deepEqual(bench.ordersPrefix("loc-1"), ordersPrefix("loc-1"));
  assert.deepEqual(bench.eventsPrefix("loc-1"), eventsPrefix("loc-1"));
});
