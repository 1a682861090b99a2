/** The one keep-alive timer of all streams (lib/feed/keepalive.ts). */
import assert from "node:assert/strict";
import { KeepAliveClock, keepAliveClock } from "../../lib/feed/keepalive.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("[feed] KeepAliveClock: each member once a period, first within one; none after it leaves", async () => {
  const period = 300;
  const clock = new KeepAliveClock(period);
  const calls: { name: string; at: number }[] = [];
  const started = performance.now();
  const add = (name: string) => clock.add(() => calls.push({ name, at: performance.now() }));
  const stopA = add("a");
  await sleep(70); // b joins later in the period, so it is called later than a each round
  const stopB = add("b");
  const joinedB = performance.now();
  assert.equal(clock.size, 2);
  await sleep(3 * period + 50);
  const of = (name: string) => calls.filter((c) => c.name === name).map((c) => c.at);
  const a = of("a");
  const b = of("b");
  assert.ok(a.length >= 2 && a.length <= 4, `a was called ${a.length} times`);
  assert.ok(b.length >= 2 && b.length <= 4, `b was called ${b.length} times`);
  // The first call comes within one period of joining (timers may be late, never early).
  assert.ok(a[0] - started <= period + 150, `a first after ${a[0] - started} ms`);
  assert.ok(b[0] - joinedB <= period + 150, `b first after ${b[0] - joinedB} ms`);
  for (const times of [a, b]) {
    for (let i = 1; i < times.length; i++) {
      const gap = times[i] - times[i - 1];
      assert.ok(gap > period - 60 && gap < period + 150, `a gap of ${gap} ms`);
    }
  }
  // Spread: b keeps its own phase, not a's.
  assert.ok(b[0] - a[0] >= 40, `a at ${a[0]}, b at ${b[0]}`);
  stopA();
  stopA(); // twice does nothing
  const before = of("a").length;
  await sleep(period + 50);
  assert.equal(of("a").length, before, "a was called after it left");
  assert.equal(clock.size, 1);
  stopB();
  assert.equal(clock.size, 0);
  // The timer is gone with the last member: the test's timer sanitizer would say otherwise.
});

Deno.test("[feed] keepAliveClock() is one clock per period", () => {
  assert.equal(keepAliveClock(10_000), keepAliveClock(10_000));
  assert.notEqual(keepAliveClock(10_000), keepAliveClock(5_000));
});
