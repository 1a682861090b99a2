/**
 * Load benchmark of SeatServe with wrk: `deno task bench` (POST /api/orders),
 * `deno task bench:menu` (GET /api/menu) and `deno task bench:page` (the guest page a table's QR
 * code opens, GET /t/<token>, rendered on the server).
 *
 * For each connection count it starts the real server on a fresh store (a KV file in a temp dir,
 * rate limits off, a known bootstrap token), reads table tokens and menu items from the API,
 * drives the endpoint with wrk and a generated Lua script, reads the server's RSS, stops the
 * server, and for orders opens the store to check that it holds exactly as many orders as wrk
 * saw 201 answers. Exits non-zero when a check fails.
 *
 *   deno task bench [-- --connections 1,16,64,256 --duration 10 --threads 1 --warmup 3 --json]
 *
 * `--root <dir>` starts the server of another tree (say, an older revision checked out there) with
 * that tree's start task, deno.json and deno.lock, measured by this harness. `runOnce` is the
 * single measured run, exported for `bench/compare.ts` (`deno task bench:compare`).
 */
import { parseArgs } from "node:util";
import { eventsPrefix, ordersPrefix } from "./store_keys.ts";
import { type Fixture, orderBodies, readFixture } from "./orders_fixture.ts";
import { HARNESS_ENV, startBenchServer } from "./server.ts";

/** What a run drives: `POST /api/orders`, `GET /api/menu` or the guest page `GET /t/<token>`. */
export type Target = "orders" | "menu" | "page";

interface WrkSummary {
  requests: number;
  durationUs: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: {
    min: number;
    mean: number;
    p50: number;
    p90: number;
    p99: number;
    p999: number;
    max: number;
    stdev: number;
  };
}

/** One measured run at one connection count. */
export interface RunResult {
  target: Target;
  connections: number;
  threads: number;
  /** Orders: the kind of idempotency keys sent. */
  keys: string;
  durationS: number;
  requests: number;
  ok: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  /** CPU time spent during the measured phase, in ms, by thread group. */
  cpuMs: Record<string, number>;
  /**
   * The whole machine over the same span as `cpuMs`: its wall time, the CPU time spent outside
   * this run's server and wrk (other processes, and kernel work not charged to a process), and the
   * time the hypervisor stole from its cores, in ms.
   */
  host: { wallMs: number; otherCpuMs: number; stealMs: number };
  rssMb: number;
  peakRssMb: number;
  /** Orders: 201 answers in warm-up and run together, which the store must hold exactly. */
  answered?: number;
  stored?: number;
  commits?: number;
  checks: string[];
}

/** How one run is made. */
export interface RunOptions {
  connections: number;
  /** wrk threads (at most `connections`). */
  threads: number;
  /** The measured phase, in seconds. */
  durationS: number;
  /** The warm-up phase before it, in seconds (0: none). */
  warmupS: number;
  /** Extra `deno run` flags for the server, before its script. */
  serverFlags: string[];
  /** Where the fresh store's temp dir is made (default: the system temp dir). */
  storeDir?: string;
  /** Idempotency keys of orders: "ordered" or "random". */
  keys: string;
  /**
   * Menu requests' `Accept-Encoding` (default `BROWSER_ACCEPT_ENCODING`, as a phone's browser
   * sends; "" sends none, so every answer is the uncompressed JSON).
   */
  acceptEncoding?: string;
  /**
   * The tree whose server is started: `deno run <its start task's args> <root>/main.ts` with cwd
   * `root`, so its own deno.json and deno.lock apply. Default: this working tree.
   */
  root?: string;
  /**
   * Extra environment for the server, over the harness's (`SEATSERVE_RATE_LIMIT=off` can be
   * overridden; the port, host, store path and bootstrap token cannot).
   */
  env?: Record<string, string>;
  /** Orders: with options as the demo menu sells them (default), or `plain` (items without). */
  orders?: "options" | "plain";
  /** Aborting stops the server and wrk; the run then rejects and cleans up its store. */
  signal?: AbortSignal;
}

/** The variables a run sets itself for its server and that `RunOptions.env` may not replace. */
export { HARNESS_ENV };

/** What Chrome and Safari on a phone send: the menu goes out compressed to them. */
export const BROWSER_ACCEPT_ENCODING = "gzip, deflate, br";

const ROOT = new URL("..", import.meta.url).pathname;
const WRK_DIR = new URL("./wrk/", import.meta.url).pathname;
const GRACE_S = 3;

if (import.meta.main) await main(Deno.args.filter((a) => a !== "--"));

async function main(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      connections: { type: "string", default: "64" },
      duration: { type: "string", default: "30" },
      threads: { type: "string", default: "1" },
      warmup: { type: "string", default: "3" },
      json: { type: "boolean", default: false },
      /** Where the fresh store's temp dir is made (default: the system temp dir, on disk). */
      "store-dir": { type: "string" },
      /** Extra `deno run` flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
      "server-flags": { type: "string", default: "" },
      /** Idempotency keys: "ordered" (time-ordered, as the guest page sends) or "random" (UUIDv4). */
      keys: { type: "string", default: "ordered" },
      /** `plain`: orders of items without option groups only (what options cost, by comparison). */
      orders: { type: "string", default: "options" },
      /** Menu: the `Accept-Encoding` sent ("" for none). */
      "accept-encoding": { type: "string", default: BROWSER_ACCEPT_ENCODING },
      /** The tree whose server is started (default: this working tree). */
      root: { type: "string" },
    },
  });
  const target = (positionals[0] ?? "orders") as Target;
  if (!await wrkInstalled()) {
    console.error("wrk is not installed: `apt-get install wrk` (Debian) and run again.");
    Deno.exit(2);
  }
  if (!["orders", "menu", "page"].includes(target)) throw new Error(`unknown target ${target}`);
  if (values.orders !== "options" && values.orders !== "plain") {
    throw new Error(`--orders is "options" or "plain", not "${values.orders}"`);
  }
  if (values.keys !== "ordered" && values.keys !== "random") {
    throw new Error(`--keys is "ordered" or "random", not "${values.keys}"`);
  }
  const connections = values.connections.split(",").map(Number);
  const results: RunResult[] = [];
  for (const c of connections) {
    const result = await runOnce(target, {
      connections: c,
      threads: Math.min(Number(values.threads), c),
      durationS: Number(values.duration),
      warmupS: Number(values.warmup),
      serverFlags: values["server-flags"].split(" ").filter(Boolean),
      storeDir: values["store-dir"],
      keys: values.keys,
      orders: values.orders === "plain" ? "plain" : "options",
      acceptEncoding: values["accept-encoding"],
      root: values.root,
    });
    results.push(result);
    printResult(result);
  }
  if (results.length > 1) printTable(results);
  if (values.json) console.log(JSON.stringify(results));
  const failed = results.filter((r) => r.checks.length > 0);
  if (failed.length) {
    for (const r of failed) console.error(`FAILED at ${r.connections} connections: ${r.checks}`);
    Deno.exit(1);
  }
}

/** Whether `wrk` can be run. */
export async function wrkInstalled(): Promise<boolean> {
  try {
    await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/**
 * One measured run: starts the server of `options.root` on a fresh store, warms up, drives the
 * target with wrk, stops the server and, for orders, checks that the store holds exactly the
 * answered orders. Failed checks (errors, a store count that differs) are in `checks`; a run that
 * cannot be made at all (the server does not start, wrk fails, the signal aborts) rejects.
 */
export async function runOnce(target: Target, options: RunOptions): Promise<RunResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const owned = Object.keys(options.env ?? {}).filter((k) => HARNESS_ENV.includes(k));
  if (owned.length) throw new Error(`the harness sets ${owned.join(", ")} itself`);
  const dir = await Deno.makeTempDir({ prefix: "seatserve-bench-", dir: options.storeDir });
  const kvPath = `${dir}/bench.kv`;
  const server = await startBenchServer({
    kvPath,
    flags: options.serverFlags,
    root: options.root ?? ROOT,
    env: options.env ?? {},
    signal,
  }).catch(async (error) => {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  });
  const { base, token } = server;
  const stopOnAbort = () => server.stop();
  signal?.addEventListener("abort", stopOnAbort);
  try {
    const fixture = await readFixture(base, token);
    const script = `${dir}/${target}.lua`;
    await Deno.writeTextFile(
      script,
      (await Deno.readTextFile(`${WRK_DIR}common.lua`)) + "\n" +
        // The page is a GET as the menu is: the same script, other requests.
        (await Deno.readTextFile(`${WRK_DIR}${target === "page" ? "menu" : target}.lua`)),
    );
    const dataPath = `${dir}/${target}.txt`;
    const url = target === "orders" ? `${base}/api/orders` : `${base}/`;
    await Deno.writeTextFile(
      dataPath,
      (target === "orders"
        ? orderBodies(fixture, 2000, { plain: options.orders === "plain" })
        : target === "page"
        ? pageRequests(fixture, options.acceptEncoding ?? BROWSER_ACCEPT_ENCODING)
        : menuRequests(fixture, options.acceptEncoding ?? BROWSER_ACCEPT_ENCODING)).join("\n") +
        "\n",
    );
    const runId = crypto.randomUUID().slice(0, 8);
    let answered = 0;
    if (options.warmupS > 0) {
      const warm = await wrk(script, url, options, options.warmupS, [
        dataPath,
        `${runId}w`,
        options.keys,
      ]);
      answered += warm.requests - warm.errors.status;
      signal?.throwIfAborted();
    }
    const serverBefore = threadCpu(server.process.pid);
    const wrkBefore = childrenCpu();
    const hostBefore = hostCpu();
    const startedAt = performance.now();
    const summary = await wrk(script, url, options, options.durationS, [
      dataPath,
      runId,
      options.keys,
    ]);
    signal?.throwIfAborted();
    const serverAfter = threadCpu(server.process.pid);
    const cpu: Record<string, number> = { wrk: childrenCpu() - wrkBefore };
    const hostAfter = hostCpu();
    const wallMs = performance.now() - startedAt;
    for (const [name, ms] of Object.entries(serverAfter)) {
      const group = name === "deno"
        ? "server JS thread"
        : name.startsWith("sw-")
        ? "server KV (SQLite) thread"
        : "server other threads";
      cpu[group] = (cpu[group] ?? 0) + ms - (serverBefore[name] ?? 0);
    }
    // wrk counts answers with status > 399 as status errors; the others here are 201 (orders) or
    // 200 (menu), and the store count below checks the orders.
    const ok = summary.requests - summary.errors.status;
    answered += target === "orders" ? ok : 0;
    const rss = await readRss(server.process.pid);
    await server.stop();
    const errors = summary.requests - ok + summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.timeout;
    const result: RunResult = {
      target,
      connections: options.connections,
      threads: options.threads,
      keys: options.keys,
      durationS: options.durationS,
      requests: summary.requests,
      ok,
      perSecond: ok / options.durationS,
      p50Ms: summary.latencyUs.p50 / 1000,
      p99Ms: summary.latencyUs.p99 / 1000,
      maxMs: summary.latencyUs.max / 1000,
      errors,
      rssMb: rss.rssKb / 1024,
      peakRssMb: rss.peakKb / 1024,
      cpuMs: cpu,
      host: {
        wallMs,
        otherCpuMs: hostAfter.busyMs - hostBefore.busyMs -
          Object.values(cpu).reduce((a, b) => a + b, 0),
        stealMs: hostAfter.stealMs - hostBefore.stealMs,
      },
      checks: [],
    };
    if (errors > 0) result.checks.push(`${errors} errors`);
    if (target === "orders") {
      const store = await countStore(kvPath, fixture.locationId);
      result.answered = answered;
      result.stored = store.orders;
      result.commits = store.feedEntries;
      if (store.orders !== answered) {
        result.checks.push(`store holds ${store.orders} orders, wrk saw ${answered} answered 201`);
      }
    }
    return result;
  } finally {
    signal?.removeEventListener("abort", stopOnAbort);
    await server.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * The menu requests: by slug and by each table's token, each asked for in every language the
 * menu offers, by `?lang=` and by `Accept-Language` (a browser's list, one with no offered
 * language, one with none at all). One per line:
 * `<path>\t<Accept-Language or empty>\t<Accept-Encoding or empty>`.
 */
function menuRequests(fixture: Fixture, acceptEncoding: string): string[] {
  const paths = [
    "/api/menu?location=demo",
    ...fixture.tableTokens.map((t) => `/api/menu?table=${encodeURIComponent(t)}`),
  ];
  const variants: [string, string][] = [["", ""], ["", "fr-FR,fr;q=0.9"]];
  for (const lang of fixture.languages) {
    variants.push([`&lang=${lang}`, ""], ["", `${lang}-XX,${lang};q=0.9,en;q=0.5`]);
  }
  return paths.flatMap((path) =>
    variants.map(([query, header]) => `${path}${query}\t${header}\t${acceptEncoding}`)
  );
}

/**
 * The guest page requests: each table's page, in every language the menu offers by `?lang=` and
 * by `Accept-Language`, as `menuRequests` lines.
 */
function pageRequests(fixture: Fixture, acceptEncoding: string): string[] {
  const variants: [string, string][] = [["", ""], ["", "fr-FR,fr;q=0.9"]];
  for (const lang of fixture.languages) {
    variants.push([`?lang=${lang}`, ""], ["", `${lang}-XX,${lang};q=0.9,en;q=0.5`]);
  }
  return fixture.tableTokens.flatMap((token) =>
    variants.map(([query, header]) =>
      `/t/${encodeURIComponent(token)}${query}\t${header}\t${acceptEncoding}`
    )
  );
}

async function wrk(
  script: string,
  url: string,
  options: { connections: number; threads: number; signal?: AbortSignal },
  phaseS: number,
  args: string[],
): Promise<WrkSummary> {
  const output = await new Deno.Command("wrk", {
    args: [
      `-t${options.threads}`,
      `-c${options.connections}`,
      `-d${phaseS + GRACE_S}s`,
      "--timeout",
      "30s",
      "-s",
      script,
      url,
      "--",
      String(phaseS),
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: options.signal,
  }).output();
  options.signal?.throwIfAborted();
  const text = new TextDecoder().decode(output.stdout);
  const line = text.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (!output.success || !line) {
    throw new Error(`wrk failed:\n${text}\n${new TextDecoder().decode(output.stderr)}`);
  }
  return JSON.parse(line.slice("BENCH_JSON ".length));
}

async function readRss(pid: number): Promise<{ rssKb: number; peakKb: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1]);
  return { rssKb: field("VmRSS"), peakKb: field("VmHWM") };
}

/** Counts orders and change-feed entries (one per commit) in the stopped server's store. */
async function countStore(kvPath: string, locationId: string) {
  const kv = await Deno.openKv(kvPath);
  try {
    const count = async (prefix: Deno.KvKey) => {
      let n = 0;
      for await (const _ of kv.list({ prefix }, { batchSize: 1000 })) n++;
      return n;
    };
    return {
      orders: await count(ordersPrefix(locationId)),
      feedEntries: await count(eventsPrefix(locationId)),
    };
  } finally {
    kv.close();
  }
}

/** CPU ms (user + system) of each thread of a process, by thread name (summed per name). */
function threadCpu(pid: number): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      byName[name] = (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10;
    } catch { /* the thread ended */ }
  }
  return byName;
}

/** CPU ms of this process's reaped children (wrk, between two reads). */
function childrenCpu(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** CPU ms the whole machine spent busy (all but idle, I/O wait and steal), and ms stolen. */
function hostCpu(): { busyMs: number; stealMs: number } {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/)
    .slice(1).map(Number);
  return { busyMs: (user + nice + system + irq + softirq) * 10, stealMs: steal * 10 };
}

function printResult(r: RunResult) {
  const what = r.target === "orders" ? "orders" : r.target === "page" ? "pages" : "req";
  console.log(
    `${r.target} c=${r.connections} t=${r.threads}${
      r.target === "orders" ? ` keys=${r.keys}` : ""
    }: ${r.perSecond.toFixed(0)} ${what}/s over ` +
      `${r.durationS.toFixed(1)} s; latency p50 ${r.p50Ms.toFixed(2)} ms, p99 ${
        r.p99Ms.toFixed(2)
      } ms, max ${r.maxMs.toFixed(2)} ms; errors ${r.errors}; RSS ${r.rssMb.toFixed(0)} MB (peak ${
        r.peakRssMb.toFixed(0)
      } MB)`,
  );
  console.log(
    `  CPU per ${r.target === "orders" ? "order" : "request"} (µs; 2 cores = ${
      (2e6 / r.perSecond).toFixed(0)
    } µs at this rate): ${
      Object.entries(r.cpuMs).map(([k, ms]) => `${k} ${(ms * 1000 / r.ok).toFixed(1)}`).join(", ")
    }`,
  );
  if (r.stored !== undefined) {
    console.log(
      `  store: ${r.stored} orders, ${r.answered} answered 201 (warm-up included); ` +
        `${r.commits} commits, ${
          (r.stored / Math.max(1, r.commits ?? 1)).toFixed(1)
        } orders a commit`,
    );
  }
  console.log(r.checks.length ? `  CHECKS FAILED: ${r.checks.join("; ")}` : "  checks: ok");
}

function printTable(results: RunResult[]) {
  console.log("\n| connections | per s | p50 ms | p99 ms | max ms | errors | RSS MB |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of results) {
    console.log(
      `| ${r.connections} | ${r.perSecond.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${
        r.p99Ms.toFixed(2)
      } | ${r.maxMs.toFixed(1)} | ${r.errors} | ${r.rssMb.toFixed(0)} |`,
    );
  }
}
