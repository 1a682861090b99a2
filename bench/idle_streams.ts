/**
 * Idle event streams and slow clients: `deno task bench:idle`.
 *
 * Starts the real server (main.ts, as `deno task start` runs it) on a fresh KV file, then:
 *  1. opens `--streams` kitchen streams over raw TCP (each reads its snapshot, then idles) and
 *     reads the server's RSS: total and per stream over the baseline;
 *  2. holds `--slow` slow clients as well (each sent half its request headers and stopped);
 *  3. times `--probes` sequential `GET /api/health` (p50, p99, max) while all of that is held;
 *  4. closes everything and reads the RSS again (4.5 s and 30 s later), to see it given back.
 *
 *   deno task bench:idle [-- --streams 10000 --slow 200 --probes 500]
 */
import { parseArgs } from "node:util";
import { startArgs } from "./start_args.ts";

const encoder = new TextEncoder();

if (import.meta.main) await main(Deno.args.filter((a) => a !== "--"));

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      streams: { type: "string", default: "1000" },
      slow: { type: "string", default: "200" },
      probes: { type: "string", default: "500" },
    },
  });
  const streams = Number(values.streams);
  const slow = Number(values.slow);
  const probes = Number(values.probes);
  const dir = await Deno.makeTempDir({ prefix: "seatserve-idle-bench-" });
  const token = `bench-${crypto.randomUUID()}`;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const server = new Deno.Command(Deno.execPath(), {
    args: startArgs(),
    env: {
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      SEATSERVE_KV_PATH: `${dir}/bench.kv`,
      SEATSERVE_BOOTSTRAP_TOKEN: token,
      SEATSERVE_STREAMS_PER_STAFF: "1000000",
      SEATSERVE_STREAMS_PER_ADDRESS: "1000000",
    },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const conns: Deno.TcpConn[] = [];
  try {
    await waitUntilUp(port);
    await settle();
    const baseline = await rssKb(server.pid);
    const opened = performance.now();
    const request = encoder.encode(
      `GET /api/kitchen/stream?access_token=${token} HTTP/1.1\r\nHost: bench\r\n\r\n`,
    );
    for (let i = 0; i < streams; i += 200) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(200, streams - i) }, () => openStream(port, request)),
      );
      conns.push(...batch);
    }
    const openMs = performance.now() - opened;
    await settle();
    const withStreams = await rssKb(server.pid);
    const slowConns = await Promise.all(Array.from({ length: slow }, () => slowClient(port)));
    conns.push(...slowConns);
    await settle();
    const times: number[] = [];
    for (let i = 0; i < probes; i++) {
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/api/health`);
      await response.body?.cancel();
      if (response.status !== 200) throw new Error(`health answered ${response.status}`);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const withAll = await rssKb(server.pid);
    for (const conn of conns.splice(0)) conn.close();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await settle();
    const after = await rssKb(server.pid);
    // The server trims glibc's heap at most every 5 s once many streams have ended
    // (lib/server/memory.ts), and V8's memory reducer collects an idle heap some seconds after
    // its last collection: read again 30 s after closing.
    await new Promise((resolve) => setTimeout(resolve, 25_500));
    const afterTrim = await rssKb(server.pid);
    const mb = (kb: number) => (kb / 1024).toFixed(1);
    const perStream = (withStreams - baseline) / streams;
    console.log(
      JSON.stringify({
        streams,
        slow,
        openSeconds: +(openMs / 1000).toFixed(2),
        rssBaselineMb: +mb(baseline),
        rssWithStreamsMb: +mb(withStreams),
        perStreamKb: +perStream.toFixed(1),
        rssWithSlowClientsMb: +mb(withAll),
        healthP50Ms: +quantile(times, 0.5).toFixed(2),
        healthP99Ms: +quantile(times, 0.99).toFixed(2),
        healthMaxMs: +times[times.length - 1].toFixed(2),
        rssAfterCloseMb: +mb(after),
        rssAfterClose30sMb: +mb(afterTrim),
      }),
    );
  } finally {
    for (const conn of conns) conn.close();
    server.kill("SIGTERM");
    await server.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A kitchen stream that has read its first bytes (the snapshot), then idles. */
async function openStream(port: number, request: Uint8Array): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(request);
  const buffer = new Uint8Array(16 * 1024);
  let text = "";
  while (!text.includes("event: snapshot")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("a stream closed before its snapshot");
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return conn;
}

/** A client that sends half its headers and stops. */
async function slowClient(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode("GET /api/health HTTP/1.1\r\nHost: bench\r\nX-Slow: "));
  return conn;
}

/** Lets the server's garbage collector catch up before a reading. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1_500));
}

async function rssKb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function waitUntilUp(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/health`);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the server did not start");
}
