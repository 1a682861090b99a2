/**
 * What an idle connection costs in `Deno.serve` itself, without SeatServe:
 * `deno run -A bench/idle_floor.ts [--variant rs] [--connections 5000] [--trim]`.
 *
 * Starts a bare `Deno.serve` (a child process of this script) whose handler answers by variant:
 *  - `ka`: a plain 2-byte answer; the connection then idles, kept alive;
 *  - `rs`: a `ReadableStream` that enqueues one SSE frame and never ends (an idle event stream);
 *  - `rs0`: the same with `highWaterMark: 0`; `bytes`: a `type: "bytes"` stream;
 *  - `headers`: `rs` with SeatServe's ten answer headers;
 * opens `--connections` of them over raw TCP, and reads the child's RSS and V8 heap before, with
 * them, and 3 s after closing them all (after a GC; with `--trim`, after glibc's `malloc_trim(0)`
 * too). Environment such as `MALLOC_ARENA_MAX` passes on to the child.
 */
import { parseArgs } from "node:util";

const FRAME = new TextEncoder().encode('retry: 1000\n\nevent: snapshot\ndata: {"orders":[]}\n\n');

if (import.meta.main) {
  if (Deno.args[0] === "--serve") serve(Deno.args[1], Number(Deno.args[2]));
  else await main(Deno.args.filter((a) => a !== "--"));
}

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      variant: { type: "string", default: "rs" },
      connections: { type: "string", default: "5000" },
      trim: { type: "boolean", default: false },
    },
  });
  const n = Number(values.connections);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL(import.meta.url).pathname,
      "--serve",
      values.variant,
      String(port),
    ],
    env: values.trim ? { TRIM: "1" } : {},
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const rss = async () =>
    Number(/VmRSS:\s+(\d+)/.exec(await Deno.readTextFile(`/proc/${server.pid}/status`))![1]) /
    1024;
  const memory = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/memory`);
    return await response.json() as Deno.MemoryUsage & { live: number };
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const conns: Deno.TcpConn[] = [];
  try {
    for (let i = 0;; i++) {
      try {
        await memory();
        break;
      } catch {
        if (i > 100) throw new Error("the server did not start");
        await sleep(100);
      }
    }
    await sleep(1_000);
    const base = await rss();
    const before = await memory();
    const request = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: floor\r\n\r\n");
    const buffer = new Uint8Array(4096);
    for (let i = 0; i < n; i += 200) {
      conns.push(
        ...await Promise.all(Array.from({ length: Math.min(200, n - i) }, async () => {
          const conn = await Deno.connect({ hostname: "127.0.0.1", port });
          await conn.write(request);
          await conn.read(buffer);
          return conn;
        })),
      );
    }
    await sleep(1_500);
    const held = await rss();
    const holding = await memory();
    for (const conn of conns.splice(0)) conn.close();
    await sleep(3_000);
    const after = await memory(); // collects garbage (and trims) first
    const afterRss = await rss();
    const perKb = (bytes: number) => +(bytes / 1024 / n).toFixed(1);
    console.log(JSON.stringify({
      variant: values.variant,
      connections: n,
      trim: values.trim,
      malloc: Object.fromEntries(
        Object.entries(Deno.env.toObject()).filter(([name]) => name.startsWith("MALLOC_")),
      ),
      rssBeforeMb: +base.toFixed(1),
      rssHeldMb: +held.toFixed(1),
      perConnectionKb: perKb((held - base) * 1024 * 1024),
      heapPerConnectionKb: perKb(holding.heapUsed - before.heapUsed),
      openWhenHeld: holding.live,
      openAfterClose: after.live,
      rssAfterCloseMb: +afterRss.toFixed(1),
    }));
  } finally {
    for (const conn of conns) conn.close();
    server.kill("SIGKILL");
    await server.status;
  }
}

/** The child: a bare `Deno.serve` answering by `variant`, and `/memory`. */
function serve(variant: string, port: number) {
  const libc = Deno.env.get("TRIM")
    ? Deno.dlopen("libc.so.6", { malloc_trim: { parameters: ["usize"], result: "i32" } })
    : null;
  let live = 0;
  const stream = (options?: { type?: "bytes"; highWaterMark?: number }) =>
    new ReadableStream({
      type: options?.type,
      start(controller) {
        live++;
        controller.enqueue(FRAME.slice());
      },
      pull: () => new Promise<void>(() => {}),
      cancel() {
        live--;
      },
    } as UnderlyingByteSource, { highWaterMark: options?.highWaterMark ?? 1 });
  const sse = { "content-type": "text/event-stream; charset=utf-8" };
  Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, (request) => {
    if (new URL(request.url).pathname === "/memory") {
      (globalThis as { gc?: () => void }).gc?.();
      libc?.symbols.malloc_trim(0n);
      return Response.json({ ...Deno.memoryUsage(), live });
    }
    switch (variant) {
      case "ka":
        return new Response("ok");
      case "rs0":
        return new Response(stream({ highWaterMark: 0 }), { headers: sse });
      case "bytes":
        return new Response(stream({ type: "bytes", highWaterMark: 0 }), { headers: sse });
      case "headers":
        return new Response(stream(), {
          headers: {
            ...sse,
            "cache-control": "no-cache, no-transform",
            "x-accel-buffering": "no",
            "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
            "strict-transport-security": "max-age=15552000; includeSubDomains",
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",
            "x-request-id": crypto.randomUUID(),
          },
        });
      default:
        return new Response(stream(), { headers: sse });
    }
  });
}
