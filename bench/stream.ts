/**
 * Commit-to-kitchen-screen latency: `deno task bench:stream`.
 *
 * Starts the real server (main.ts) on a fresh KV file, opens `--streams` kitchen streams spread
 * over `--workers` worker threads, then places orders open-loop at `--rate` per second for
 * `--duration` seconds (each POST fired on schedule, never waiting for earlier answers). Every
 * stream must receive every answered order exactly once, in commit order.
 *
 * Latency is measured per event per stream, two ways:
 *  - primary: from the order's `createdAt` (stamped by the server when it priced the order, before
 *    the group commit) to the moment the stream's bytes were read. This includes the wait for the
 *    batch and the KV commit itself, so it is an upper bound on commit-to-screen.
 *  - secondary (one stream per worker): from the moment the client received the 201 (after the
 *    commit) to the receipt of the event; negative when the event beat the 201.
 *  - commit-to-screen (the same streams): from the moment the store acknowledged the order's commit, which
 *    is its `createdAt` plus the `Server-Timing: commit;dur=` of its 201 (the server's own clock
 *    from pricing to the acknowledged commit), to the receipt of the event. `createdAt` has ms resolution, so
 *    this may over-state by up to 1 ms.
 * It also prints each POST's round trip (send to 201), which holds the wait for the group commit
 * and the commit itself.
 *
 *   deno task bench:stream [-- --streams 500 --rate 1000 --duration 10 --workers 1]
 */
import { parseArgs } from "node:util";
import { orderBodies, readFixture } from "./orders_fixture.ts";
import { startBenchServer } from "./server.ts";

const BUCKET_MS = 0.1;

if (import.meta.main) await main(Deno.args.filter((a) => a !== "--"));

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      streams: { type: "string", default: "500" },
      rate: { type: "string", default: "1000" },
      duration: { type: "string", default: "10" },
      workers: { type: "string", default: "1" },
      json: { type: "boolean", default: false },
      /** Extra `deno run` flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
      "server-flags": { type: "string", default: "" },
    },
  });
  const streams = Number(values.streams);
  const rate = Number(values.rate);
  const durationS = Number(values.duration);
  const workerCount = Math.max(1, Math.min(Number(values.workers), streams));

  const dir = await Deno.makeTempDir({ prefix: "seatserve-stream-bench-" });
  const server = await startBenchServer({
    kvPath: `${dir}/bench.kv`,
    flags: values["server-flags"].split(" ").filter(Boolean),
  });
  const { base, token } = server;
  const workers: Worker[] = [];
  try {
    const bodies = orderBodies(await readFixture(base, token), 2000);
    const url = `${base}/api/kitchen/stream?access_token=${token}`;

    const connectStart = performance.now();
    for (let w = 0; w < workerCount; w++) {
      const worker = new Worker(new URL("./stream_client.ts", import.meta.url), {
        type: "module",
      });
      workers.push(worker);
    }
    await Promise.all(workers.map((worker, w) => {
      const share = Math.floor(streams / workerCount) + (w < streams % workerCount ? 1 : 0);
      worker.postMessage({ type: "start", url, streams: share, recordFirst: true });
      return next(worker, "ready");
    }));
    console.log(
      `${streams} kitchen streams open (${workerCount} worker${workerCount > 1 ? "s" : ""}) in ${
        Math.round(performance.now() - connectStart)
      } ms`,
    );

    // Open loop: every tick, fire the orders due by now.
    const total = rate * durationS;
    const answeredAt = new Map<string, number>();
    const committedAt = new Map<string, number>();
    const postMs: number[] = [];
    const failures: string[] = [];
    const inflight: Promise<void>[] = [];
    const started = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; sent < due; sent++) {
        inflight.push(
          placeOne(base, bodies[sent % bodies.length], {
            answeredAt,
            committedAt,
            postMs,
            failures,
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(inflight);
    const sendS = (performance.now() - started) / 1000;
    const answered = answeredAt.size;
    console.log(
      `${answered} orders answered 201 in ${sendS.toFixed(2)} s (${
        Math.round(answered / sendS)
      }/s offered at ${rate}/s), ${failures.length} failed`,
    );

    const results = await Promise.all(workers.map((worker) => {
      worker.postMessage({ type: "expect", count: answered, timeoutMs: 60_000 });
      return next(worker, "done");
    }));
    const counts = results.flatMap((r) => r.counts as number[]);
    const disorder = results.reduce((n, r) => n + (r.disorder as number), 0);
    const ended = results.reduce((n, r) => n + (r.ended as number), 0);
    const histogram = new Uint32Array(results[0].histogram.length);
    let overflow = 0;
    for (const r of results) {
      overflow += r.overflow;
      for (let i = 0; i < histogram.length; i++) histogram[i] += r.histogram[i];
    }
    const events = histogram.reduce((a, b) => a + b, 0) + overflow;
    const complete = counts.filter((c) => c === answered).length;
    const short = counts.filter((c) => c < answered).length;
    const extra = counts.filter((c) => c > answered).length;

    const after201: number[] = [];
    const afterCommit: number[] = [];
    for (const r of results) {
      for (const [id, at] of r.firstReceipts as [string, number][]) {
        const answeredTime = answeredAt.get(id);
        if (answeredTime !== undefined) after201.push(at - answeredTime);
        const committedTime = committedAt.get(id);
        if (committedTime !== undefined) afterCommit.push(at - committedTime);
      }
    }
    after201.sort((a, b) => a - b);
    afterCommit.sort((a, b) => a - b);
    postMs.sort((a, b) => a - b);

    const figures = {
      streams,
      workers: workerCount,
      rate,
      durationS,
      answered,
      failed: failures.length,
      eventsReceived: events,
      eventsExpected: answered * streams,
      streamsComplete: complete,
      streamsShort: short,
      streamsWithExtra: extra,
      outOfOrderOrRepeated: disorder,
      streamsEndedEarly: ended - streams, // all are aborted at the end; more would be a bug
      createdAtToScreenMs: {
        p50: quantile(histogram, overflow, 0.5),
        p90: quantile(histogram, overflow, 0.9),
        p99: quantile(histogram, overflow, 0.99),
        p999: quantile(histogram, overflow, 0.999),
        max: quantile(histogram, overflow, 1),
      },
      postToAnswerMs: {
        p50: round(postMs[Math.floor(postMs.length * 0.5)]),
        p99: round(postMs[Math.floor(postMs.length * 0.99)]),
        max: round(postMs[postMs.length - 1]),
      },
      commitToScreenMs: {
        samples: afterCommit.length,
        p50: round(afterCommit[Math.floor(afterCommit.length * 0.5)]),
        p99: round(afterCommit[Math.floor(afterCommit.length * 0.99)]),
        max: round(afterCommit[afterCommit.length - 1]),
      },
      answerToScreenMs: {
        samples: after201.length,
        p50: round(after201[Math.floor(after201.length * 0.5)]),
        p99: round(after201[Math.floor(after201.length * 0.99)]),
        max: round(after201[after201.length - 1]),
      },
    };
    console.log(
      `events: ${events} of ${
        answered * streams
      } expected; streams complete ${complete}/${streams}` +
        `, short ${short}, with extra ${extra}; out of order or repeated: ${disorder}`,
    );
    const c = figures.createdAtToScreenMs;
    console.log(
      `createdAt -> screen: p50 ${c.p50} ms, p90 ${c.p90} ms, p99 ${c.p99} ms, p99.9 ${c.p999} ms, max ${c.max} ms`,
    );
    const k = figures.commitToScreenMs;
    console.log(
      `commit -> screen (${k.samples} samples): p50 ${k.p50} ms, p99 ${k.p99} ms, max ${k.max} ms`,
    );
    const p = figures.postToAnswerMs;
    console.log(`POST /api/orders -> 201: p50 ${p.p50} ms, p99 ${p.p99} ms, max ${p.max} ms`);
    const a = figures.answerToScreenMs;
    console.log(
      `201 received -> screen (${a.samples} samples): p50 ${a.p50} ms, p99 ${a.p99} ms, max ${a.max} ms`,
    );
    if (values.json) console.log(JSON.stringify(figures));
    const ok = failures.length === 0 && complete === streams && disorder === 0;
    if (!ok) {
      console.error(`FAILED: ${failures.slice(0, 5).join("; ")}`);
      Deno.exitCode = 1;
    }
  } finally {
    for (const worker of workers) worker.terminate();
    await server.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function placeOne(
  base: string,
  body: string,
  record: {
    answeredAt: Map<string, number>;
    committedAt: Map<string, number>;
    postMs: number[];
    failures: string[];
  },
): Promise<void> {
  const { answeredAt, committedAt, postMs, failures } = record;
  const sentAt = performance.now();
  try {
    const response = await fetch(`${base}/api/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const text = await response.text();
    const now = performance.now();
    if (response.status !== 201) failures.push(`${response.status} ${text.slice(0, 200)}`);
    else {
      const order = JSON.parse(text) as { id: string; createdAt: string };
      answeredAt.set(order.id, performance.timeOrigin + now);
      postMs.push(now - sentAt);
      const commit = /commit;dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "");
      if (commit) committedAt.set(order.id, Date.parse(order.createdAt) + Number(commit[1]));
    }
  } catch (error) {
    failures.push(String(error));
  }
}

// deno-lint-ignore no-explicit-any
function next(worker: Worker, type: string): Promise<any> {
  return new Promise((resolve, reject) => {
    worker.onerror = (e) => reject(e.error ?? new Error(e.message));
    worker.onmessage = (e) => {
      if (e.data.type === type) resolve(e.data);
    };
  });
}

function quantile(histogram: Uint32Array, overflow: number, q: number): number | string {
  let total = overflow;
  for (const n of histogram) total += n;
  const target = Math.max(1, Math.ceil(total * q));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= target) return round((i + 1) * BUCKET_MS);
  }
  return "> 60000";
}

function round(ms: number | undefined): number {
  return ms === undefined ? NaN : Math.round(ms * 10) / 10;
}
