/**
 * From an 86 to every open menu having it: `deno task bench:menu-stream`.
 *
 * Starts the real server (main.ts, as `deno task start` runs it) on a fresh KV file, opens
 * `--streams` menu streams (`GET /api/menu/stream`) from a worker thread on raw TCP sockets, varied
 * as guests' phones are (by slug and by table token, in each language the menu offers, some with
 * an allergen filter), and waits for every stream's first menu. Then, `--rounds` times, it 86es an
 * item (or brings it back) with `PATCH /api/menu/items/{id}` and records when each stream read the
 * next menu, over `--gap` ms between rounds.
 *
 * Latency, per stream per round: the moment the stream had read the whole new menu minus the
 * moment the PATCH was sent (so it includes the PATCH's own commit), and minus the moment its 200
 * was read. Clocks are one machine's wall clock (`performance.timeOrigin + now()`), in both
 * threads.
 *
 * Checks: every stream receives exactly one menu per round (none missing, none twice), the
 * streams of one variant all receive the same menu (the same ETag as event id), and sampled
 * streams' menus show the item as the round left it. Exits non-zero otherwise.
 *
 *   deno task bench:menu-stream [-- --streams 1000 --rounds 20 --gap 200]
 */
import { parseArgs } from "node:util";
import { getJson, startBenchServer } from "./server.ts";

if (import.meta.main) Deno.exit(await main(Deno.args.filter((a) => a !== "--")));

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      streams: { type: "string", default: "1000" },
      rounds: { type: "string", default: "20" },
      gap: { type: "string", default: "200" },
      json: { type: "boolean", default: false },
      "server-flags": { type: "string", default: "" },
    },
  });
  const streamCount = Number(values.streams);
  const rounds = Number(values.rounds);
  const gapMs = Number(values.gap);

  const dir = await Deno.makeTempDir({ prefix: "seatserve-menu-stream-bench-" });
  const server = await startBenchServer({
    kvPath: `${dir}/bench.kv`,
    flags: values["server-flags"].split(" ").filter(Boolean),
  });
  const { base, token } = server;
  const worker = new Worker(new URL("./menu_stream_client.ts", import.meta.url), {
    type: "module",
  });
  const failures: string[] = [];
  try {
    const auth = { authorization: `Bearer ${token}` };
    const menu = await getJson(`${base}/api/menu?location=demo`) as Json;
    const tables = (await getJson(`${base}/api/tables`, auth) as Json).tables as {
      token: string;
    }[];
    const languages: string[] = menu.location.languages;
    // The item the rounds 86 and bring back: one that every variant below shows.
    const target = menu.items.find((i: Json) => i.available && i.allergens.length === 0) ??
      menu.items.find((i: Json) => i.available);
    const filters = ["", "", "", "&exclude=peanuts", "&exclude=nuts,crustaceans"];
    const variants: string[] = [];
    const urls = Array.from({ length: streamCount }, (_, i) => {
      const by = i % 2
        ? `table=${encodeURIComponent(tables[i % tables.length].token)}`
        : "location=demo";
      const variant = `lang=${languages[i % languages.length]}${filters[i % filters.length]}`;
      variants.push(variant);
      return `${base}/api/menu/stream?${by}&${variant}`;
    });

    const connectStart = performance.now();
    worker.postMessage({ type: "start", urls });
    await next(worker, "started");
    let collected = await collect(worker, 1, 30_000);
    const firstMs = performance.now() - connectStart;
    const missingFirst = collected.events.filter((e: unknown[]) => e.length !== 1).length;
    if (missingFirst) failures.push(`${missingFirst} streams did not get exactly one first menu`);
    console.log(
      `${streamCount} menu streams open with their first menu in ${Math.round(firstMs)} ms ` +
        `(${languages.length} languages, ${
          new Set(variants).size
        } variants); 86ing "${target.name}"`,
    );

    const sinceSent: number[] = [];
    const sinceAnswered: number[] = [];
    const perRound: { round: number; p99: number; max: number; patchMs: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
      await new Promise((r) => setTimeout(r, gapMs));
      const available = round % 2 === 0;
      const sent = performance.timeOrigin + performance.now();
      const response = await fetch(`${base}/api/menu/items/${target.id}`, {
        method: "PATCH",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ available }),
      });
      await response.body?.cancel();
      const answered = performance.timeOrigin + performance.now();
      if (response.status !== 200) failures.push(`round ${round}: PATCH ${response.status}`);
      collected = await collect(worker, round + 1, 30_000, [0, 1, 2, 3]);
      const latencies: number[] = [];
      const idsByVariant = new Map<string, Set<string>>();
      collected.events.forEach((events: { at: number; id: string }[], i: number) => {
        if (events.length !== round + 1) {
          failures.push(`round ${round}: stream ${i} has ${events.length} menus, not ${round + 1}`);
          return;
        }
        const { at, id } = events[round];
        latencies.push(at - sent);
        sinceSent.push(at - sent);
        sinceAnswered.push(at - answered);
        const ids = idsByVariant.get(variants[i]) ?? new Set();
        ids.add(id);
        idsByVariant.set(variants[i], ids);
        if (id === events[round - 1].id) {
          failures.push(`round ${round}: stream ${i} got the same menu`);
        }
      });
      for (const [variant, ids] of idsByVariant) {
        if (ids.size !== 1) {
          failures.push(`round ${round}: ${variant} streams got ${ids.size} menus`);
        }
      }
      for (const sample of collected.samples) {
        const shown = JSON.parse(sample).items.find((i: Json) => i.id === target.id);
        if (shown?.available !== available) {
          failures.push(`round ${round}: a sampled menu is stale`);
        }
      }
      latencies.sort((a, b) => a - b);
      perRound.push({
        round,
        p99: quantile(latencies, 0.99),
        max: latencies[latencies.length - 1],
        patchMs: answered - sent,
      });
    }
    // Anything sent twice would have arrived by now.
    await new Promise((r) => setTimeout(r, 500));
    collected = await collect(worker, rounds + 1, 1_000);
    const extra = collected.events.filter((e: unknown[]) => e.length > rounds + 1).length;
    if (extra) failures.push(`${extra} streams got more menus than changes`);
    if (collected.ended) failures.push(`${collected.ended} streams ended`);

    sinceSent.sort((a, b) => a - b);
    sinceAnswered.sort((a, b) => a - b);
    const summary = {
      streams: streamCount,
      rounds,
      samples: sinceSent.length,
      sentToScreen: figures(sinceSent),
      answeredToScreen: figures(sinceAnswered),
      patchMs: figures(perRound.map((r) => r.patchMs).sort((a, b) => a - b)),
      worstRoundP99: Math.max(...perRound.map((r) => r.p99)),
      failures: failures.length,
    };
    const f = (x: Record<string, number>) =>
      `p50 ${x.p50.toFixed(1)} / p90 ${x.p90.toFixed(1)} / p99 ${x.p99.toFixed(1)} / max ${
        x.max.toFixed(1)
      } ms`;
    console.log(
      `86 sent → stream has the new menu (${summary.samples} samples): ${f(summary.sentToScreen)}`,
    );
    console.log(`PATCH answered → stream has it: ${f(summary.answeredToScreen)}`);
    console.log(
      `PATCH round trip: ${f(summary.patchMs)}; worst round's p99 ${
        summary.worstRoundP99.toFixed(1)
      } ms`,
    );
    console.log(
      failures.length ? `CHECKS FAILED:\n  ${failures.slice(0, 20).join("\n  ")}` : "checks: ok",
    );
    if (values.json) console.log(JSON.stringify(summary));
    return failures.length ? 1 : 0;
  } finally {
    worker.postMessage({ type: "close" });
    await Promise.race([next(worker, "closed"), new Promise((r) => setTimeout(r, 2000))]);
    worker.terminate();
    await server.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

// deno-lint-ignore no-explicit-any
type Json = any;

function collect(worker: Worker, events: number, timeoutMs: number, sample: number[] = []) {
  worker.postMessage({ type: "collect", events, timeoutMs, sample });
  return next(worker, "collected");
}

function next(worker: Worker, type: string): Promise<Json> {
  return new Promise((resolve) => {
    const listener = (e: MessageEvent) => {
      if (e.data.type !== type) return;
      worker.removeEventListener("message", listener);
      resolve(e.data);
    };
    worker.addEventListener("message", listener);
  });
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function figures(sorted: number[]): Record<string, number> {
  return {
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1],
  };
}
