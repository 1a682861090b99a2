/**
 * The server a benchmark measures: `deno task start` of a tree (this one by default) as its own
 * process on a free loopback port, on a given store, with a known bootstrap token and rate limits
 * off unless the benchmark sets them; started, waited for, and stopped (SIGTERM, then SIGKILL
 * after 15 s). One place for it, so that every benchmark starts the server the same way.
 */
import { startArgs } from "./start_args.ts";

const REPO_ROOT = new URL("..", import.meta.url).pathname;

/** How a benchmark's server is started. */
export interface BenchServerOptions {
  /** The KV file to serve. */
  kvPath: string;
  /** Extra `deno run` flags (say, `--cpu-prof`). */
  flags?: string[];
  /** The tree whose start task, deno.json and deno.lock are used (default: this one). */
  root?: string;
  /** More environment; the harness's own (port, host, store, token) cannot be overridden. */
  env?: Record<string, string>;
  /** Where the server's stderr goes (default: this process's). */
  stderr?: "inherit" | "null";
  signal?: AbortSignal;
  /**
   * Served over HTTPS (`env` names the TLS files): reached at `https://localhost:<port>` through
   * `client`, which trusts this CA certificate (PEM).
   */
  caCert?: string;
}

/** A started server. */
export interface BenchServer {
  base: string;
  port: number;
  /** The bootstrap (owner) token it was started with. */
  token: string;
  process: Deno.ChildProcess;
  /** With `caCert`: the client that trusts it (closed by `stop`). */
  client?: Deno.HttpClient;
  /** SIGTERM, SIGKILL after 15 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<unknown>;
}

/** The variables the harness sets itself. */
export const HARNESS_ENV = [
  "PORT",
  "HOSTNAME",
  "SEATSERVE_KV_PATH",
  "SEATSERVE_BOOTSTRAP_TOKEN",
];

/** Starts the server and waits until `/api/health` answers 200 (30 s at most). */
export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const port = freePort();
  const token = `bench-${crypto.randomUUID()}`;
  const root = options.root ?? REPO_ROOT;
  const process = new Deno.Command(Deno.execPath(), {
    args: startArgs(options.flags ?? [], root),
    cwd: root,
    env: {
      SEATSERVE_RATE_LIMIT: "off",
      ...options.env,
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      SEATSERVE_KV_PATH: options.kvPath,
      SEATSERVE_BOOTSTRAP_TOKEN: token,
    },
    stdout: "null",
    stderr: options.stderr ?? "inherit",
  }).spawn();
  let stopped: Promise<unknown> | null = null;
  const client = options.caCert ? Deno.createHttpClient({ caCerts: [options.caCert] }) : undefined;
  const server: BenchServer = {
    base: client ? `https://localhost:${port}` : `http://127.0.0.1:${port}`,
    port,
    token,
    process,
    client,
    stop() {
      if (!stopped) {
        try {
          process.kill("SIGTERM");
        } catch { /* already gone */ }
        const timer = setTimeout(() => {
          try {
            process.kill("SIGKILL");
          } catch { /* already gone */ }
        }, 15_000);
        stopped = process.status.finally(() => {
          clearTimeout(timer);
          client?.close();
        });
      }
      return stopped;
    },
  };
  try {
    await waitUntilUp(server, options.signal);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitUntilUp(server: BenchServer, signal?: AbortSignal): Promise<void> {
  let exited = false;
  server.process.status.then(() => exited = true);
  for (let i = 0; i < 300; i++) {
    signal?.throwIfAborted();
    if (exited) throw new Error("the server exited during start-up");
    try {
      const res = await fetch(
        `${server.base}/api/health`,
        { client: server.client } as RequestInit,
      );
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* not yet listening */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the server did not start within 30 s");
}

/** A loopback port nothing listens on (now). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** GETs JSON, throwing with the answer on anything but 2xx. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return await res.json();
}
