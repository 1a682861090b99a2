/** Giving memory back after streams end (lib/server/memory.ts), with glibc's real malloc_trim. */
import assert from "node:assert/strict";
import { returnMemoryAfterStreams } from "../../lib/server/memory.ts";
import { StreamCounter } from "../../lib/ratelimit/stream_caps.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("[server] memory: one trim after many streams end, none while they stay open", async () => {
  const streams = new StreamCounter({ perOrder: 10, perStaff: 1_000, perAddress: 1_000 });
  const memory = returnMemoryAfterStreams(() => streams.released, {
    checkMs: 30,
    endedBeforeTrim: 64,
  });
  try {
    // This suite runs on Linux with glibc and -A: the real malloc_trim is there.
    assert.equal(memory.enabled, true);
    const slots = Array.from({ length: 100 }, (_, i) => streams.open([["address", `a${i % 3}`]]));
    await sleep(120);
    assert.equal(memory.trims, 0, "trimmed while every stream was open");
    for (const slot of slots.slice(0, 40)) slot.release();
    await sleep(120);
    assert.equal(memory.trims, 0, "trimmed after only 40 ended");
    for (const slot of slots.slice(40)) slot.release();
    for (const slot of slots) slot.release(); // releasing twice counts once
    assert.equal(streams.released, 100);
    const deadline = Date.now() + 5_000;
    while (memory.trims === 0 && Date.now() < deadline) await sleep(20);
    assert.equal(memory.trims, 1);
    await sleep(150);
    assert.equal(memory.trims, 1, "trimmed again with nothing more ended");
  } finally {
    await memory.stop();
  }
});

Deno.test("[server] memory: nothing to trim with, nothing done", async () => {
  const memory = returnMemoryAfterStreams(() => 1_000, { trimmer: null, checkMs: 10 });
  assert.equal(memory.enabled, false);
  await sleep(30);
  assert.equal(memory.trims, 0);
  await memory.stop();
});
