/**
 * Benchmark of webhook delivery: `deno task bench:webhooks [-- --rate 1000 --duration 10
 * --endpoints 3]`. Starts the real server (`deno task start`'s arguments, a fresh KV file, rate
 * limits off, private addresses allowed), then runs the same open-loop load of `POST /api/orders`
 * (requests sent on schedule whatever the answers) twice, side by side: with no endpoint, then
 * with `--endpoints` receivers (each verifying every signature with npm `standardwebhooks`, all in
 * a process of their own: bench/webhook_receivers.ts) registered for `order.created`, each run on
 * a fresh server. Prints order
 * latency for both, and per endpoint the delivery lag commit → receiver: from the order's 201
 * answer at the client (after the commit: a lower bound) and from its `createdAt` (set before
 * the commit, so it includes the group commit's wait: an upper bound), with how busy the machine
 * was (its load average and the CPU idle share over the run).
 */
import { parseArgs } from "node:util";
import { orderBodies, readFixture } from "./orders_fixture.ts";
import { startBenchServer } from "./server.ts";

const MAX_IN_FLIGHT = 256;

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--"),
  options: {
    rate: { type: "string", default: "1000" },
    duration: { type: "string", default: "10" },
    endpoints: { type: "string", default: "3" },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.duration);
const endpoints = Number(values.endpoints);

for (const count of [0, endpoints]) await run(count);

async function run(count: number) {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-bench-webhooks-" });
  const server = await startBenchServer({
    kvPath: `${dir}/bench.kv`,
    env: { SEATSERVE_WEBHOOKS_ALLOW_PRIVATE: "1" },
  });
  const receivers = await startReceivers(count);
  try {
    for (const [i, url] of receivers.urls.entries()) {
      const res = await fetch(`${server.base}/api/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
        body: JSON.stringify({ url, events: ["order.created"] }),
      });
      const created = await res.json();
      if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(created)}`);
      await receivers.send(`secret ${i} ${created.secret}`);
    }
    const bodies = orderBodies(await readFixture(server.base, server.token), 500);
    const cpu0 = cpuTimes();
    const result = await load(server.base, bodies);
    if (count > 0) await receivers.send(`wait ${result.acked.size}`);
    const cpu1 = cpuTimes();
    const idle = (cpu1.idle - cpu0.idle) / (cpu1.total - cpu0.total);
    const load1 = Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
    console.log(
      `\n${count} endpoint(s), ${rate} orders/s for ${seconds} s: sent ${result.sent}, 201 ` +
        `${result.acked.size}, failed ${result.failed}, held back ${result.dropped}; machine: ` +
        `load average ${load1} (2 cores), CPU idle ${(idle * 100).toFixed(0)}% over the run`,
    );
    console.log(
      `  order latency: p50 ${pct(result.latencies, 50)} ms, p99 ${
        pct(result.latencies, 99)
      } ms, max ${pct(result.latencies, 100)} ms`,
    );
    const dumped = count > 0 ? await receivers.dump(`${dir}/received.json`) : [];
    dumped.forEach((receiver, i) => {
      const fromAck: number[] = [];
      const fromCreated: number[] = [];
      const seen = new Set<string>();
      let duplicates = 0;
      for (const r of receiver.received) {
        if (seen.has(r.id)) duplicates++;
        seen.add(r.id);
        const acked = result.acked.get(r.orderId);
        if (acked !== undefined) fromAck.push(r.at - acked);
        fromCreated.push(r.at - Date.parse(r.createdAt));
      }
      console.log(
        `  endpoint ${i + 1}: received ${receiver.received.length} (${duplicates} duplicates, ` +
          `${receiver.invalid} bad signatures); lag from the 201: p50 ${pct(fromAck, 50)} ms, ` +
          `p99 ${pct(fromAck, 99)} ms, max ${pct(fromAck, 100)} ms; from createdAt: p50 ${
            pct(fromCreated, 50)
          } ms, p99 ${pct(fromCreated, 99)} ms, max ${pct(fromCreated, 100)} ms`,
      );
    });
  } finally {
    await server.stop();
    await receivers.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

interface Dumped {
  invalid: number;
  received: { id: string; orderId: string; createdAt: string; at: number }[];
}

/** The receivers' process: its URLs, and a command line at a time (each answered "ok"). */
async function startReceivers(count: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./webhook_receivers.ts", import.meta.url).pathname,
      "--count",
      String(count),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const line = async (): Promise<string> => {
    for (;;) {
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (text.startsWith("# ")) console.log(text);
        else return text;
      } else {
        const { value, done } = await reader.read();
        if (done) throw new Error("the receivers' process ended");
        buffered += value;
      }
    }
  };
  const urls: string[] = [];
  for (let i = 0; i < count; i++) urls.push(await line());
  const send = async (command: string) => {
    await writer.write(new TextEncoder().encode(command + "\n"));
    await line();
  };
  return {
    urls,
    send,
    async dump(path: string): Promise<Dumped[]> {
      await send(`dump ${path}`);
      return JSON.parse(await Deno.readTextFile(path));
    },
    async close() {
      await send("exit").catch(() => {});
      await child.status;
    },
  };
}

/** Open-loop load at `rate` for `seconds`: each 201's id with when it was answered. */
async function load(base: string, bodies: string[]) {
  const latencies: number[] = [];
  const acked = new Map<string, number>();
  let sent = 0;
  let failed = 0;
  let dropped = 0;
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  const tickMs = 10;
  const perTick = rate * tickMs / 1000;
  for (let tick = 0; tick * tickMs < seconds * 1000; tick++) {
    const wait = start + tick * tickMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const want = Math.floor((tick + 1) * perTick) - Math.floor(tick * perTick);
    for (let i = 0; i < want; i++) {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        dropped++;
        continue;
      }
      const body = bodies[sent++ % bodies.length];
      const t0 = performance.now();
      const request = fetch(`${base}/api/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }).then(async (res) => {
        const text = await res.text();
        const at = performance.timeOrigin + performance.now();
        latencies.push(performance.now() - t0);
        if (res.status === 201) acked.set(JSON.parse(text).id, at);
        else failed++;
      }, () => {
        failed++;
      }).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
  }
  await Promise.all(inFlight);
  return { latencies, acked, sent, failed, dropped };
}

function cpuTimes(): { idle: number; total: number } {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3] + fields[4], total: fields.reduce((a, b) => a + b, 0) };
}

function pct(xs: number[], p: number): string {
  if (!xs.length) return "-";
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1))].toFixed(0);
}
