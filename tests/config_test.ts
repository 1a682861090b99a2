/** Configuration (lib/config.ts): the rate limits and the trusted proxy header, read and refused. */
import assert from "node:assert/strict";
import { DEFAULT_RATE_LIMITS, loadConfig } from "../lib/config.ts";

Deno.test("[config] rate limits: on by default, off by one switch, each settable", () => {
  assert.deepEqual(loadConfig({}).rateLimits, DEFAULT_RATE_LIMITS);
  assert.equal(loadConfig({ SEATSERVE_RATE_LIMIT: "off" }).rateLimits, null);
  const set = loadConfig({
    SEATSERVE_RATE_ORDERS_PER_TABLE: "30",
    SEATSERVE_RATE_SIGN_IN: "5/50",
  }).rateLimits!;
  assert.deepEqual(set.ordersPerTable, { perMinute: 30, burst: 30 });
  assert.deepEqual(set.signInPerAddress, { perMinute: 5, burst: 50 });
  assert.deepEqual(set.ordersPerAddress, DEFAULT_RATE_LIMITS.ordersPerAddress);
  for (const bad of ["0", "ten", "5/0", "-1", "5/"]) {
    assert.throws(
      () => loadConfig({ SEATSERVE_RATE_ORDERS_PER_TABLE: bad }),
      /SEATSERVE_RATE_ORDERS_PER_TABLE/,
      bad,
    );
  }
});

Deno.test("[config] a trusted proxy header only when configured", () => {
  assert.equal(loadConfig({}).trustProxyHeader, null);
  assert.equal(loadConfig({ SEATSERVE_TRUST_PROXY: "off" }).trustProxyHeader, null);
  assert.equal(loadConfig({ SEATSERVE_TRUST_PROXY: "1" }).trustProxyHeader, "x-forwarded-for");
  assert.equal(loadConfig({ SEATSERVE_TRUST_PROXY: "X-Real-IP" }).trustProxyHeader, "x-real-ip");
  assert.throws(() => loadConfig({ SEATSERVE_TRUST_PROXY: "a b" }), /SEATSERVE_TRUST_PROXY/);
});
