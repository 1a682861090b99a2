/** Token buckets (lib/ratelimit/limiter.ts): burst, refill, Retry-After, isolation, memory. */
import assert from "node:assert/strict";
import { RateLimiter } from "../../lib/ratelimit/limiter.ts";

function clock() {
  let at = 1_000_000;
  return { now: () => at, advance: (ms: number) => (at += ms) };
}

Deno.test("[rate limit] a burst, then one token per refill interval, with Retry-After", () => {
  const time = clock();
  const limiter = new RateLimiter({ perMinute: 6, burst: 3 }, { now: time.now });
  for (let i = 0; i < 3; i++) assert.deepEqual(limiter.take("t1"), { ok: true });
  // One token every 10 s.
  assert.deepEqual(limiter.take("t1"), { ok: false, retryAfterSeconds: 10 });
  time.advance(4_000);
  assert.deepEqual(limiter.take("t1"), { ok: false, retryAfterSeconds: 6 });
  time.advance(6_000);
  assert.deepEqual(limiter.take("t1"), { ok: true });
  assert.equal(limiter.take("t1").ok, false);
  // Refill never exceeds the burst.
  time.advance(3_600_000);
  for (let i = 0; i < 3; i++) assert.equal(limiter.take("t1").ok, true);
  assert.equal(limiter.take("t1").ok, false);
});

Deno.test("[rate limit] one flooding key never limits another", () => {
  const time = clock();
  const limiter = new RateLimiter({ perMinute: 60, burst: 5 }, { now: time.now });
  for (let i = 0; i < 1000; i++) limiter.take("flood");
  assert.equal(limiter.take("flood").ok, false);
  for (let i = 0; i < 5; i++) assert.equal(limiter.take("other").ok, true);
});

Deno.test("[rate limit] peek counts nothing", () => {
  const time = clock();
  const limiter = new RateLimiter({ perMinute: 60, burst: 2 }, { now: time.now });
  for (let i = 0; i < 10; i++) assert.equal(limiter.peek("a").ok, true);
  limiter.take("a");
  limiter.take("a");
  assert.deepEqual(limiter.peek("a"), { ok: false, retryAfterSeconds: 1 });
});

Deno.test("[rate limit] idle buckets are dropped; memory is bounded by maxKeys", () => {
  const time = clock();
  const limiter = new RateLimiter({ perMinute: 60, burst: 10 }, { now: time.now, maxKeys: 100 });
  for (let i = 0; i < 50; i++) limiter.take(`k${i}`);
  assert.equal(limiter.size, 50);
  time.advance(10_000); // full again after burst / rate = 10 s
  limiter.take("fresh");
  assert.equal(limiter.size, 1);
  for (let i = 0; i < 1000; i++) limiter.take(`m${i}`);
  assert.ok(limiter.size <= 100, `size ${limiter.size}`);
});
