/**
 * What a certificate reload costs the clients: `deno task bench:tls-reload`.
 *
 * Starts the real server over HTTPS (a test CA and two certificates from `openssl`), holds
 * `--streams` kitchen streams open, and runs `--workers` clients that each open a NEW TLS
 * connection per request (`GET /api/health`), while the certificate is swapped `--swaps` times
 * (new files + SIGHUP, every `--interval` ms). Prints requests answered, failed connections, the
 * time from SIGHUP until a new connection gets the new certificate, and how many of the streams
 * opened before the first swap were still open at the end.
 *
 *   deno task bench:tls-reload [-- --swaps 20 --interval 250 --workers 4 --streams 20]
 */
import { parseArgs } from "node:util";
import { startBenchServer } from "./server.ts";

if (import.meta.main) await main(Deno.args.filter((a) => a !== "--"));

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      swaps: { type: "string", default: "20" },
      interval: { type: "string", default: "250" },
      workers: { type: "string", default: "4" },
      streams: { type: "string", default: "20" },
    },
  });
  const dir = await Deno.makeTempDir({ prefix: "seatserve-tls-bench-" });
  const sh = async (command: string) => {
    const out = await new Deno.Command("sh", { args: ["-c", command], cwd: dir, stderr: "piped" })
      .output();
    if (!out.success) throw new Error(`${command}: ${new TextDecoder().decode(out.stderr)}`);
  };
  const ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  await sh(`openssl req -x509 ${ec} -keyout ca.key -out ca.crt -days 1 -subj /CN=bench-ca`);
  await sh(`echo subjectAltName=DNS:localhost > ext.cnf`);
  for (const n of [1, 2]) {
    await sh(`openssl req ${ec} -keyout s${n}.key -out s${n}.csr -subj /CN=localhost`);
    await sh(
      `openssl x509 -req -in s${n}.csr -CA ca.crt -CAkey ca.key -set_serial ${n} -days 1 ` +
        `-extfile ext.cnf -out s${n}.crt`,
    );
  }
  await sh("mkdir signal && cp s1.crt signal/cert.pem && cp s1.key signal/key.pem");
  const caCert = await Deno.readTextFile(`${dir}/ca.crt`);
  const server = await startBenchServer({
    kvPath: ":memory:",
    caCert,
    stderr: "null",
    env: {
      SEATSERVE_TLS_CERT_FILE: `${dir}/signal/cert.pem`,
      SEATSERVE_TLS_KEY_FILE: `${dir}/signal/key.pem`,
    },
  });
  const { base, port, token } = server;
  // Streams opened before the first swap, each on its own connection.
  const streamClients: Deno.HttpClient[] = [];
  let streamsOpen = 0;
  for (let i = 0; i < Number(values.streams); i++) {
    const client = Deno.createHttpClient({ caCerts: [caCert] });
    streamClients.push(client);
    const response = await fetch(`${base}/api/kitchen/stream`, {
      headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
      client,
    } as RequestInit);
    streamsOpen++;
    (async () => {
      try {
        for await (const _ of response.body!) { /* keep reading */ }
      } catch { /* dropped */ }
      streamsOpen--;
    })();
  }

  let stop = false;
  let answered = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (!stop) {
      const client = Deno.createHttpClient({ caCerts: [caCert] }); // a new connection each time
      try {
        const response = await fetch(`${base}/api/health`, { client } as RequestInit);
        await response.body?.cancel();
        if (response.ok) answered++;
        else failures.push(`status ${response.status}`);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      } finally {
        client.close();
      }
    }
  };
  const workers = Array.from({ length: Number(values.workers) }, worker);
  const toNew: number[] = [];
  for (let swap = 0; swap < Number(values.swaps); swap++) {
    const n = swap % 2 === 0 ? 2 : 1;
    await sh(`cp s${n}.crt signal/cert.pem && cp s${n}.key signal/key.pem`);
    const started = performance.now();
    server.process.kill("SIGHUP");
    for (;;) {
      if (await servedSerial(port) === `serial=0${n}`) break;
      if (performance.now() - started > 10_000) throw new Error("swap not served in 10 s");
    }
    toNew.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, Number(values.interval)));
  }
  stop = true;
  await Promise.all(workers);
  await new Promise((r) => setTimeout(r, 200));
  const sorted = toNew.sort((a, b) => a - b);
  console.log(
    JSON.stringify(
      {
        swaps: toNew.length,
        requestsAnswered: answered,
        requestsFailed: failures.length,
        failureKinds: [...new Set(failures)].slice(0, 5),
        sighupToNewCertificateMs: {
          median: Math.round(sorted[Math.floor(sorted.length / 2)]),
          max: Math.round(sorted.at(-1)!),
        },
        streamsOpenedBefore: Number(values.streams),
        streamsStillOpen: streamsOpen,
      },
      null,
      2,
    ),
  );
  await server.stop();
  for (const client of streamClients) client.close();
  await Deno.remove(dir, { recursive: true });
}

/** The serial of the certificate a new connection gets (`openssl s_client`, includes polling cost). */
async function servedSerial(port: number): Promise<string> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `openssl s_client -connect 127.0.0.1:${port} -servername localhost </dev/null 2>/dev/null` +
      " | openssl x509 -noout -serial",
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}
