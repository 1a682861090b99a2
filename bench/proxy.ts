/**
 * What the shipped nginx configuration costs: `deno task bench:proxy`.
 *
 * Starts the real server and nginx with deploy/nginx/seatserve.conf in front of it (as
 * tests/deploy/nginx_test.ts does), then runs wrk on `GET /api/menu?location=demo` directly and
 * through nginx, alternating, `--rounds` times each, and prints requests/s and latency of both.
 *
 *   deno task bench:proxy [-- --rounds 3 --duration 5 --connections 64]
 */
import { parseArgs } from "node:util";
import { startArgs } from "./start_args.ts";
import { startNginx } from "../tests/deploy/nginx_fixture.ts";

if (import.meta.main) await main(Deno.args.filter((a) => a !== "--"));

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: "string", default: "3" },
      duration: { type: "string", default: "5" },
      connections: { type: "string", default: "64" },
    },
  });
  const dir = await Deno.makeTempDir({ prefix: "seatserve-proxy-bench-" });
  const port = freePort();
  const server = new Deno.Command(Deno.execPath(), {
    args: startArgs(),
    env: {
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      SEATSERVE_KV_PATH: `${dir}/bench.kv`,
      SEATSERVE_BOOTSTRAP_TOKEN: `bench-${crypto.randomUUID()}`,
      SEATSERVE_TRUST_PROXY: "x-real-ip",
      SEATSERVE_RATE_LIMIT: "off",
    },
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitUntilUp(port);
  const nginx = await startNginx(freePort(), port);
  try {
    const rows: { side: string; rps: number; latency: string }[] = [];
    for (let round = 0; round < Number(values.rounds); round++) {
      const sides = round % 2 ? ["nginx", "direct"] : ["direct", "nginx"];
      for (const side of sides) {
        const target = side === "direct" ? port : nginx.port;
        const out = await new Deno.Command("wrk", {
          args: [
            "-t2",
            `-c${values.connections}`,
            `-d${values.duration}s`,
            "--latency",
            `http://127.0.0.1:${target}/api/menu?location=demo`,
          ],
          stdout: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout);
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
        const latency = ["50%", "99%"].map((q) =>
          `${q} ${new RegExp(`^\\s+${q}\\s+(\\S+)`, "m").exec(text)?.[1]}`
        ).join(", ");
        rows.push({ side, rps, latency });
        console.log(`round ${round + 1} ${side}: ${rps.toFixed(0)} req/s, ${latency}`);
      }
    }
    const median = (side: string) => {
      const values = rows.filter((r) => r.side === side).map((r) => r.rps).sort((a, b) => a - b);
      return values[Math.floor(values.length / 2)];
    };
    console.log(
      `median req/s: direct ${median("direct").toFixed(0)}, through nginx ${
        median("nginx").toFixed(0)
      } (ratio ${(median("nginx") / median("direct")).toFixed(3)})`,
    );
  } finally {
    await nginx.stop();
    server.kill("SIGTERM");
    await server.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
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
