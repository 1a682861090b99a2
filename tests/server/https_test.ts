/**
 * HTTPS (lib/server/serve.ts, tls.ts, redirect.ts): `main.ts` started with a certificate signed
 * by a test CA generated here with Debian's `openssl`. An order placed and the kitchen stream
 * followed over https; HTTP/2 negotiated; the certificate swapped while running (SIGHUP, and a
 * change of the files without a signal) is served on new connections, checked by its serial as
 * `openssl s_client` sees it, while a stream opened before keeps going; a pair that does not
 * load is refused at start with one line and kept out on reload; the plain-HTTP listener answers
 * 308; HSTS over https only.
 */
import assert from "node:assert/strict";
import { freePort, type MainProcess, OWNER_TOKEN, placeOrder, startMain } from "../fixtures.ts";
import { RawSse } from "../routes/stream_fixture.ts";

const dir = await Deno.makeTempDir({ prefix: "seatserve-tls-" });

/** Fetch options going through `client` (Deno's own `RequestInit` field). */
function via(client: Deno.HttpClient | undefined): RequestInit {
  return { client } as RequestInit;
}

async function openssl(...args: string[]): Promise<string> {
  const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** A test CA, and server certificates for localhost it signs, each with its own serial. */
await openssl(
  "req",
  "-x509",
  "-newkey",
  "ec",
  "-pkeyopt",
  "ec_paramgen_curve:P-256",
  "-nodes",
  "-keyout",
  `${dir}/ca.key`,
  "-out",
  `${dir}/ca.crt`,
  "-days",
  "2",
  "-subj",
  "/CN=SeatServe test CA",
);
await Deno.writeTextFile(`${dir}/ext.cnf`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
const caCert = await Deno.readTextFile(`${dir}/ca.crt`);

/** A server certificate with `serial` (hex), signed by the test CA: its PEM files' paths. */
async function serverCertificate(serial: number): Promise<{ cert: string; key: string }> {
  const base = `${dir}/server-${serial}`;
  await openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    `${base}.key`,
    "-out",
    `${base}.csr`,
    "-subj",
    "/CN=localhost",
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    `${base}.csr`,
    "-CA",
    `${dir}/ca.crt`,
    "-CAkey",
    `${dir}/ca.key`,
    "-set_serial",
    String(serial),
    "-days",
    "2",
    "-extfile",
    `${dir}/ext.cnf`,
    "-out",
    `${base}.crt`,
  );
  return { cert: `${base}.crt`, key: `${base}.key` };
}

const certificates = await Promise.all([1, 2, 3].map(serverCertificate));

/**
 * The serial of the certificate a NEW connection to `port` gets, as `openssl s_client` reads it
 * (verified against the test CA). A connection that lands on the replaced listener in the moment
 * it closes is reset (README, "HTTPS"): s_client never sends a request, so it is one of those
 * whenever it connects during a swap; it connects again then, as a client would.
 */
async function servedSerial(port: number): Promise<string> {
  for (let attempt = 1;; attempt++) {
    try {
      return await servedSerialOnce(port);
    } catch (error) {
      if (attempt === 5 || !/errno=104|Connection reset/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function servedSerialOnce(port: number): Promise<string> {
  const child = new Deno.Command("openssl", {
    args: [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      "localhost",
      "-CAfile",
      `${dir}/ca.crt`,
      "-verify_return_error",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  const pem = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(text)?.[0];
  assert.ok(pem, `no certificate from s_client: ${new TextDecoder().decode(out.stderr)}`);
  assert.match(text, /Verify return code: 0 \(ok\)/);
  const file = `${dir}/served-${crypto.randomUUID()}.pem`;
  await Deno.writeTextFile(file, pem);
  return (await openssl("x509", "-in", file, "-noout", "-serial")).trim();
}

/** Waits until `check` holds, polling, at most `ms`. */
async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The served files: `live/` as a deployment has them (regular files here), their content copied in. */
const live = `${dir}/live`;
await Deno.mkdir(live);
const liveFiles = { cert: `${live}/cert.pem`, key: `${live}/key.pem` };

/** Replaces the live files with `from`'s, each by a rename (as a renewal tool writes them). */
async function install(from: { cert: string; key: string }) {
  for (const part of ["cert", "key"] as const) {
    const temporary = `${liveFiles[part]}.${crypto.randomUUID()}.tmp`;
    await Deno.copyFile(from[part], temporary);
    await Deno.rename(temporary, liveFiles[part]);
  }
}

async function startHttps(env: Record<string, string> = {}): Promise<MainProcess> {
  return await startMain({
    SEATSERVE_KV_PATH: ":memory:",
    SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN,
    SEATSERVE_TLS_CERT_FILE: liveFiles.cert,
    SEATSERVE_TLS_KEY_FILE: liveFiles.key,
    ...env,
  }, { https: { caCert } });
}

await install(certificates[0]);
const redirectPort = freePort();
const main = await startHttps({ SEATSERVE_HTTP_REDIRECT_PORT: String(redirectPort) });

Deno.test({
  name: "[https] an order placed and the kitchen stream followed over https, HTTP/2 offered",
  sanitizeResources: false,
  async fn() {
    assert.match(main.output(), /SeatServe listening on https:\/\/127\.0\.0\.1:\d+/);
    assert.match(main.output(), /mode: +HTTPS \(HTTP\/2 and HTTP\/1\.1\), certificate SHA-256 /);
    const kitchen = await RawSse.open(
      `${main.base}/api/kitchen/stream`,
      { authorization: `Bearer ${OWNER_TOKEN}` },
      main.client,
    );
    try {
      assert.equal(kitchen.status, 200);
      await kitchen.untilEvents(1); // the snapshot
      const placed = await placeOrder(main);
      await kitchen.until(() => kitchen.orders().some((o) => o.id === placed.id));
      assert.equal(kitchen.orders().find((o) => o.id === placed.id)?.totalCents, placed.totalCents);
    } finally {
      await kitchen.close();
    }

    // curl offers h2 in ALPN and gets it; without it, HTTP/1.1.
    for (const [flag, version] of [["--http2", "2"], ["--http1.1", "1.1"]]) {
      const out = await new Deno.Command("curl", {
        args: [
          "-sS",
          flag,
          "--cacert",
          `${dir}/ca.crt`,
          "-o",
          "/dev/null",
          "-w",
          "%{http_version} %{http_code}",
          `${main.base}/api/health`,
        ],
        stdout: "piped",
      }).output();
      assert.equal(new TextDecoder().decode(out.stdout), `${version} 200`);
    }
    // HSTS over https, on API answers and pages.
    for (const path of ["/api/health", "/docs"]) {
      const reply = await fetch(`${main.base}${path}`, via(main.client));
      await reply.body?.cancel();
      assert.equal(
        reply.headers.get("strict-transport-security"),
        "max-age=15552000; includeSubDomains",
        path,
      );
    }
  },
});

Deno.test({
  name: "[https] the plain-HTTP listener only redirects (308, same path and query), without HSTS",
  sanitizeResources: false,
  async fn() {
    assert.match(main.output(), new RegExp(`http: +port ${redirectPort} only redirects`));
    for (const method of ["GET", "POST"]) {
      const reply = await fetch(
        `http://127.0.0.1:${redirectPort}/api/menu?location=demo&lang=de`,
        { method, redirect: "manual", body: method === "POST" ? "{}" : undefined },
      );
      await reply.body?.cancel();
      assert.equal(reply.status, 308);
      assert.equal(
        reply.headers.get("location"),
        `https://localhost:${main.port}/api/menu?location=demo&lang=de`,
      );
      assert.equal(reply.headers.get("strict-transport-security"), null);
    }
    // Followed, it lands on the https server.
    const followed = await fetch(`http://127.0.0.1:${redirectPort}/api/health`, via(main.client));
    assert.equal(followed.status, 200);
    assert.equal((await followed.json()).status, "ok");
    assert.equal(followed.url, `https://localhost:${main.port}/api/health`);
  },
});

Deno.test({
  name:
    "[https] a renewed certificate is served on new connections (SIGHUP, then a file change), open streams keep going",
  sanitizeResources: false,
  async fn() {
    assert.equal(await servedSerial(main.port), "serial=01");
    // A stream opened on the first certificate's listener.
    const kitchen = await RawSse.open(
      `${main.base}/api/kitchen/stream`,
      { authorization: `Bearer ${OWNER_TOKEN}` },
      main.client,
    );
    try {
      await kitchen.untilEvents(1);

      // SIGHUP: the files are written in place of nothing the watcher sees (a folder apart,
      // pointed to by symbolic links, as certbot's live/ points into archive/).
      const linked = `${dir}/linked`;
      const archive = `${dir}/archive`;
      await Deno.mkdir(linked);
      await Deno.mkdir(archive);
      await Deno.copyFile(certificates[0].cert, `${archive}/cert.pem`);
      await Deno.copyFile(certificates[0].key, `${archive}/key.pem`);
      await Deno.symlink(`${archive}/cert.pem`, `${linked}/cert.pem`);
      await Deno.symlink(`${archive}/key.pem`, `${linked}/key.pem`);
      const hup = await startMain({
        SEATSERVE_KV_PATH: ":memory:",
        SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN,
        SEATSERVE_TLS_CERT_FILE: `${linked}/cert.pem`,
        SEATSERVE_TLS_KEY_FILE: `${linked}/key.pem`,
      }, { https: { caCert } });
      try {
        assert.equal(await servedSerial(hup.port), "serial=01");
        await Deno.copyFile(certificates[1].cert, `${archive}/cert.pem`);
        await Deno.copyFile(certificates[1].key, `${archive}/key.pem`);
        await new Promise((resolve) => setTimeout(resolve, 800));
        assert.equal(await servedSerial(hup.port), "serial=01", "reloaded without a signal");
        const started = performance.now();
        hup.signal("SIGHUP");
        await eventually(
          "SIGHUP applies serial 2",
          async () => await servedSerial(hup.port) === "serial=02",
        );
        console.log(
          `SIGHUP to the new certificate served: ${Math.round(performance.now() - started)} ms`,
        );
        assert.match(hup.output(), /tls: serving the new certificate \(SHA-256 [0-9A-F:]{95}\)/);
        // Still answering, over the new certificate.
        const health = await fetch(`${hup.base}/api/health`, via(hup.client));
        assert.equal(health.status, 200);
        assert.equal((await health.json()).status, "ok");

        // As certbot renews: new files in the archive, the links in the watched folder re-pointed
        // (each replaced by a rename). No signal needed.
        await Deno.copyFile(certificates[2].cert, `${archive}/cert3.pem`);
        await Deno.copyFile(certificates[2].key, `${archive}/key3.pem`);
        for (const part of ["cert", "key"]) {
          await Deno.symlink(`${archive}/${part}3.pem`, `${linked}/${part}.pem.new`);
          await Deno.rename(`${linked}/${part}.pem.new`, `${linked}/${part}.pem`);
        }
        await eventually(
          "re-pointed links apply serial 3",
          async () => await servedSerial(hup.port) === "serial=03",
        );
      } finally {
        await hup.stop();
      }

      // Without a signal: the files in the watched folder change.
      await install(certificates[2]);
      await eventually(
        "the file change applies serial 3",
        async () => await servedSerial(main.port) === "serial=03",
      );

      // The stream opened on the first certificate still delivers, an order placed over a new
      // connection (the new certificate) included.
      const placed = await placeOrder(main);
      await kitchen.until(() => kitchen.orders().some((o) => o.id === placed.id));
      assert.equal(kitchen.ended, false);

      // A pair that does not load (a key of another certificate) is logged and kept out.
      await Deno.copyFile(certificates[0].key, liveFiles.key);
      await eventually(
        "the mismatched pair is refused",
        () =>
          Promise.resolve(
            /tls: keeping the certificate served: .*not a usable certificate and key/.test(
              main.output(),
            ),
          ),
      );
      assert.equal(await servedSerial(main.port), "serial=03");
      await install(certificates[2]);
    } finally {
      await kitchen.close();
    }
  },
});

Deno.test({
  name: "[https] bad TLS files stop the start with one clear line, no stack trace",
  sanitizeResources: false,
  async fn() {
    await Deno.writeTextFile(`${dir}/garbage.pem`, "not a key\n");
    const cases: [Record<string, string>, RegExp][] = [
      [
        { SEATSERVE_TLS_CERT_FILE: `${dir}/missing.pem`, SEATSERVE_TLS_KEY_FILE: liveFiles.key },
        /^SeatServe cannot start: SEATSERVE_TLS_CERT_FILE: cannot read .*missing\.pem \(.*\)$/,
      ],
      [
        { SEATSERVE_TLS_CERT_FILE: liveFiles.cert, SEATSERVE_TLS_KEY_FILE: `${dir}/garbage.pem` },
        /^SeatServe cannot start: SEATSERVE_TLS_KEY_FILE: .*garbage\.pem is not a PEM file/,
      ],
      [
        {
          SEATSERVE_TLS_CERT_FILE: certificates[1].cert,
          SEATSERVE_TLS_KEY_FILE: certificates[0].key,
        },
        /^SeatServe cannot start: SEATSERVE_TLS_CERT_FILE \(.*\) and SEATSERVE_TLS_KEY_FILE \(.*\) are not a usable certificate and key: .*/,
      ],
    ];
    for (const [env, message] of cases) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname],
        cwd: new URL("../..", import.meta.url),
        clearEnv: true,
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: Deno.env.get("HOME") ?? "/root",
          ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
          NO_COLOR: "1",
          SEATSERVE_KV_PATH: ":memory:",
          PORT: String(freePort()),
          ...env,
        },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000), // a start that does not fail is killed, and fails
      }).output();
      const stderr = new TextDecoder().decode(out.stderr).trim();
      assert.equal(out.code, 1, stderr);
      assert.match(stderr, message);
      assert.equal(stderr.split("\n").length, 1, stderr);
      assert.doesNotMatch(stderr, /\bat .*\.ts:\d+/);
    }
  },
});

Deno.test({
  name: "[https] teardown",
  sanitizeResources: false,
  async fn() {
    const { code } = await main.stop();
    assert.equal(code, 0);
    await Deno.remove(dir, { recursive: true });
  },
});
