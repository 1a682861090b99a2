/**
 * Side-by-side benchmark of this working tree ("head") against a git revision ("base"):
 *
 *   deno task bench:compare <git-rev> [--rounds 5] [--duration 10] [--connections 64] [--warmup 2]
 *     [--target orders|menu] [--env KEY=VALUE ...] [--base-env KEY=VALUE ...] [--max-others 0.25]
 *     [--orders options|plain] [--base-orders options|plain]
 *   deno task bench:compare --same --env KEY=VALUE      (or `.`: this working tree on both sides)
 *
 * It extracts `<git-rev>` into a temp dir (`git archive | tar -x`: nothing is registered in the
 * repository, so removing the dir is the whole clean-up), then runs the benchmark on base and head
 * alternately, `--rounds` times each, swapping which side goes first every round so that a drift of
 * the host's speed weighs on both. Every run is `runOnce` of this tree's bench/run.ts (the same
 * harness, wrk scripts and store check for both sides) on a fresh store; only the server differs:
 * each side's is started with its own tree's start task, deno.json and deno.lock. `--env` adds
 * environment for head's server, `--base-env` for base's, so one tree can also be compared with
 * itself under two settings. `--base-orders plain` makes base order only items without option
 * groups: `deno task bench:compare . --base-orders plain` is what options cost on one tree.
 *
 * Prints each run as it ends, with the cores that work outside the benchmark (other processes on
 * a shared machine) took meanwhile, then the median throughput and p99 of each side, a note when
 * that outside work was heavy, and the median, min and max of the per-round throughput ratios
 * head/base, the last line being
 * `median ratio head/base: <r> (rounds: <n>; min <r>, max <r>[; redone: <n>])`.
 * `--max-others <cores>` redoes a round (at most `--rounds` times in all) in which outside work
 * took more than that during either run. Exits non-zero when any run, redone ones included, had
 * errors or a store that did not hold exactly the answered orders. The base tree is removed and the
 * servers stopped on failure and on Ctrl-C too.
 */
import { parseArgs } from "node:util";
import { HARNESS_ENV, runOnce, type RunResult, type Target, wrkInstalled } from "./run.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** Cores of work outside the benchmark above which the summary says the host was busy. */
const BUSY_CORES = 0.25;
const USAGE =
  "usage: deno task bench:compare <git-rev | . | --same> [--rounds 5] [--duration 10] " +
  "[--connections 64] [--warmup 2] [--target orders|menu] [--env KEY=VALUE ...] " +
  "[--base-env KEY=VALUE ...] [--max-others <cores>] [--orders options|plain] " +
  "[--base-orders options|plain]";

/** One side of the comparison and its runs, in round order. */
interface Side {
  name: "base" | "head";
  root: string;
  /** What tree it is, for people: a revision or the working tree. */
  tree: string;
  env: Record<string, string>;
  /** What it orders (orders target): the demo menu's options, or plain items only. */
  orders: "options" | "plain";
  results: RunResult[];
}

if (import.meta.main) Deno.exit(await main(Deno.args.filter((a) => a !== "--")));

async function main(argv: string[]): Promise<number> {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        rounds: { type: "string", default: "5" },
        duration: { type: "string", default: "10" },
        connections: { type: "string", default: "64" },
        warmup: { type: "string", default: "2" },
        target: { type: "string", default: "orders" },
        env: { type: "string", multiple: true, default: [] },
        "base-env": { type: "string", multiple: true, default: [] },
        /** What each side orders: `options` (the demo menu as sold) or `plain` (items without). */
        orders: { type: "string", default: "options" },
        "base-orders": { type: "string", default: "options" },
        same: { type: "boolean", default: false },
        /** Redo a round in which outside work took more than this many cores (default: never). */
        "max-others": { type: "string" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const rounds = Number(values.rounds);
  const durationS = Number(values.duration);
  const connections = Number(values.connections);
  const warmupS = Number(values.warmup);
  const target = values.target as Target;
  const maxOthers = values["max-others"] === undefined ? Infinity : Number(values["max-others"]);
  const rev = positionals[0];
  const same = values.same || rev === ".";
  const problems = [
    ...(same && rev !== undefined && rev !== "." ? ["--same takes no revision"] : []),
    ...(!same && rev === undefined ? ["a git revision is needed (or . / --same)"] : []),
    ...(positionals.length > 1 ? [`one revision, not ${positionals.length}`] : []),
    ...(Number.isInteger(rounds) && rounds >= 1 ? [] : ["--rounds is a whole number >= 1"]),
    ...(durationS > 0 ? [] : ["--duration is a number of seconds > 0"]),
    ...(Number.isInteger(connections) && connections >= 1 ? [] : ["--connections is >= 1"]),
    ...(warmupS >= 0 ? [] : ["--warmup is a number of seconds >= 0"]),
    ...(target === "orders" || target === "menu" ? [] : ["--target is orders or menu"]),
    ...(maxOthers >= 0 ? [] : ["--max-others is a number of cores >= 0"]),
    ...([values.orders, values["base-orders"]].every((o) => o === "options" || o === "plain")
      ? []
      : ["--orders and --base-orders are options or plain"]),
  ];
  const headEnv = parseEnv(values.env, "--env", problems);
  const baseEnv = parseEnv(values["base-env"], "--base-env", problems);
  if (problems.length) {
    console.error(`${problems.join("; ")}\n${USAGE}`);
    return 2;
  }
  if (!await wrkInstalled()) {
    console.error("wrk is not installed: `apt-get install wrk` (Debian) and run again.");
    return 2;
  }

  const headCommit = await git(["rev-parse", "--short", "HEAD"]);
  const dirty = (await git(["status", "--porcelain"])) !== "";
  const head: Side = {
    name: "head",
    root: ROOT,
    tree: `working tree at ${headCommit}${dirty ? " + uncommitted changes" : ""}`,
    env: headEnv,
    orders: values.orders as "options" | "plain",
    results: [],
  };
  const base: Side = {
    name: "base",
    root: ROOT,
    tree: head.tree,
    env: baseEnv,
    orders: values["base-orders"] as "options" | "plain",
    results: [],
  };
  let commit = "";
  if (!same) {
    try {
      commit = await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
    } catch {
      console.error(`not a commit: ${rev}`);
      return 2;
    }
    const subject = await git(["log", "-1", "--format=%h %s", commit]);
    base.tree = `${rev} = ${subject.length > 72 ? `${subject.slice(0, 71)}…` : subject}`;
    if (
      !dirty &&
      await git(["rev-parse", `${commit}^{tree}`]) === await git(["rev-parse", "HEAD^{tree}"])
    ) {
      base.tree += " (the same code as head: the ratio shows the noise)";
    }
  }

  const controller = new AbortController();
  let baseDir: string | undefined;
  const onSignal = () => {
    if (controller.signal.aborted) {
      if (baseDir) removeSync(baseDir);
      Deno.exit(130);
    }
    console.error("\ninterrupted: stopping the servers, removing the base tree (again: leave now)");
    controller.abort(new Error("interrupted"));
  };
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    if (!same) {
      baseDir = await Deno.makeTempDir({ prefix: "seatserve-base-" });
      await extract(commit, baseDir);
      base.root = baseDir;
    }
    const what = target === "orders" ? "POST /api/orders" : "GET /api/menu";
    const plan = rounds === 1 ? "1 round" : `${rounds} rounds`;
    console.log(
      `bench:compare ${what}: ${plan}, ${connections} connections, ` +
        `${warmupS} s warm-up + ${durationS} s measured per run, base and head alternating`,
    );
    for (const side of [base, head]) {
      console.log(
        `  ${side.name}: ${side.tree}${same ? "" : ` (${side.root})`}; env: ${
          envLabel(side.env)
        }; orders: ${side.orders}`,
      );
    }
    // A redone round keeps its place in the alternation; at most `rounds` rounds are redone.
    let redone = 0;
    const failed: string[] = [];
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? [base, head] : [head, base];
      const runs = new Map<Side, RunResult>();
      for (const side of order) {
        const result = await runOnce(target, {
          connections,
          threads: 1,
          durationS,
          warmupS,
          serverFlags: [],
          keys: "ordered",
          root: side.root,
          env: side.env,
          orders: side.orders,
          signal: controller.signal,
        }).catch((error) => {
          if (controller.signal.aborted) throw error;
          throw new Error(`round ${round} ${side.name}: ${(error as Error).message}`);
        });
        runs.set(side, result);
        console.log(`round ${round}/${rounds} ${side.name}: ${runLine(result)}`);
        if (result.checks.length) failed.push(`round ${round} ${side.name}: ${result.checks}`);
      }
      const busy = order.filter((side) => othersCores(runs.get(side)!) > maxOthers);
      if (busy.length && redone < rounds) {
        redone++;
        console.log(
          `round ${round}/${rounds} redone: outside work over ${maxOthers} cores during ${
            busy.map((side) => side.name).join(" and ")
          }`,
        );
        round--;
        continue;
      }
      for (const side of order) side.results.push(runs.get(side)!);
      const ratio = runs.get(head)!.perSecond / runs.get(base)!.perSecond;
      console.log(`round ${round}/${rounds} ratio head/base: ${ratio.toFixed(3)}`);
    }
    return printSummary(target, base, head, failed, redone);
  } catch (error) {
    if (controller.signal.aborted) {
      console.error("bench:compare interrupted; nothing measured is summarised");
      return 130;
    }
    console.error(`bench:compare failed: ${(error as Error).message}`);
    return 1;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    if (baseDir) await Deno.remove(baseDir, { recursive: true }).catch(() => {});
  }
}

/** `KEY=VALUE` pairs into an env object; what is wrong goes into `problems`. */
function parseEnv(pairs: string[], flag: string, problems: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const key = pair.slice(0, at);
    if (at < 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      problems.push(`${flag} takes KEY=VALUE, not ${pair}`);
    } else if (HARNESS_ENV.includes(key)) {
      problems.push(`${flag} ${key}: the harness sets ${key} itself`);
    } else {
      env[key] = pair.slice(at + 1);
    }
  }
  return env;
}

/** Runs git in this working tree and returns its trimmed output; rejects when git fails. */
async function git(args: string[]): Promise<string> {
  const output = await new Deno.Command("git", {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!output.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
  return new TextDecoder().decode(output.stdout).trim();
}

/** Writes the tree of `commit` into `dir` (`git archive | tar -x`). */
async function extract(commit: string, dir: string): Promise<void> {
  const archive = new Deno.Command("git", {
    args: ["archive", "--format=tar", commit],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const tar = new Deno.Command("tar", {
    args: ["-x", "-C", dir],
    stdin: "piped",
    stderr: "inherit",
  }).spawn();
  await archive.stdout.pipeTo(tar.stdin);
  const [archived, extracted] = await Promise.all([archive.status, tar.status]);
  if (!archived.success || !extracted.success) throw new Error(`could not extract ${commit}`);
}

function removeSync(dir: string) {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* already gone */ }
}

function envLabel(env: Record<string, string>): string {
  const pairs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(" ") : "the harness's defaults";
}

/** The store check of an orders run: "ok", a mismatch, or "n/a" for the menu. */
function storeCheck(r: RunResult): string {
  if (r.stored === undefined) return "n/a";
  return r.stored === r.answered
    ? `ok (${r.stored} = ${r.answered})`
    : `FAILED (stored ${r.stored}, answered ${r.answered})`;
}

/**
 * The server's CPU time (all its threads) per answered request, in µs. On a shared host this is
 * steadier than throughput: other work takes cores away from the server, not cycles from its
 * requests.
 */
function serverCpuUs(r: RunResult): number {
  let ms = 0;
  for (const [group, value] of Object.entries(r.cpuMs)) if (group.startsWith("server")) ms += value;
  return ms * 1000 / Math.max(1, r.ok);
}

function runLine(r: RunResult): string {
  const unit = r.target === "orders" ? "orders/s" : "req/s";
  const wrkUs = (r.cpuMs.wrk ?? 0) * 1000 / Math.max(1, r.requests);
  return `${r.perSecond.toFixed(0)} ${unit}, server CPU ${serverCpuUs(r).toFixed(1)} µs/req, p50 ${
    r.p50Ms.toFixed(2)
  } ms, p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}, store ${storeCheck(r)}, wrk ${
    wrkUs.toFixed(1)
  } µs/req, others ${othersCores(r).toFixed(2)} cores, steal ${
    (r.host.stealMs / r.host.wallMs * 100).toFixed(1)
  } %` +
    (r.checks.length ? `; CHECKS FAILED: ${r.checks.join("; ")}` : "");
}

/** How many cores, on average, went to work outside the run's server and wrk while it ran. */
function othersCores(r: RunResult): number {
  return Math.max(0, r.host.otherCpuMs) / r.host.wallMs;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Prints the summary table and, last, the ratio line; returns the exit code. */
function printSummary(
  target: Target,
  base: Side,
  head: Side,
  failed: string[],
  redone: number,
): number {
  const unit = target === "orders" ? "orders/s" : "req/s";
  console.log(
    `\n| side | median ${unit} | min–max ${unit} | median p50 ms | median p99 ms | errors | ` +
      "store checks | others, max cores |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---|---:|");
  for (const side of [base, head]) {
    const rs = side.results;
    const rates = rs.map((r) => r.perSecond);
    const stored = rs.filter((r) => r.stored !== undefined);
    const storeOk = stored.filter((r) => r.stored === r.answered).length;
    const cells = [
      side.name,
      median(rates).toFixed(0),
      `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}`,
      median(rs.map((r) => r.p50Ms)).toFixed(2),
      median(rs.map((r) => r.p99Ms)).toFixed(2),
      String(rs.reduce((n, r) => n + r.errors, 0)),
      stored.length ? `${storeOk}/${stored.length} ok` : "n/a",
      Math.max(...rs.map(othersCores)).toFixed(2),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
  const ratios = head.results.map((r, i) => r.perSecond / base.results[i].perSecond);
  const p99Ratio = median(head.results.map((r, i) => r.p99Ms / base.results[i].p99Ms));
  console.log(`\nmedian p99 ratio head/base: ${p99Ratio.toFixed(3)}`);
  const cpuRatios = head.results.map((r, i) => serverCpuUs(r) / serverCpuUs(base.results[i]));
  console.log(
    `median server CPU per request ratio head/base: ${median(cpuRatios).toFixed(3)} ` +
      "(below 1: head spends less; steadier than throughput on a busy host)",
  );
  const busiest =
    [base, head].flatMap((side) =>
      side.results.map((r, i) => ({ cores: othersCores(r), run: `round ${i + 1} ${side.name}` }))
    ).sort((a, b) => b.cores - a.cores)[0];
  if (busiest.cores > BUSY_CORES) {
    console.log(
      `note: work outside the benchmark took up to ${busiest.cores.toFixed(2)} cores ` +
        `(${busiest.run}); the ratios carry that noise`,
    );
  }
  for (const f of failed) console.error(`FAILED ${f}`);
  console.log(
    `median ratio head/base: ${median(ratios).toFixed(3)} (rounds: ${ratios.length}; min ${
      Math.min(...ratios).toFixed(3)
    }, max ${Math.max(...ratios).toFixed(3)}${redone ? `; redone: ${redone}` : ""})`,
  );
  return failed.length ? 1 : 0;
}
