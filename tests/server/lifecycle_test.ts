/**
 * The process's life (lib/server): SIGTERM during a load run answers every request or refuses
 * it before any write, never resets one after its commit, and exits within the deadline; the
 * server survives running out of file descriptors and serves again once connections close; the
 * start-up banner prints no table token; the store's file is private.
 */
import assert from "node:assert/strict";
import { assertErrorBody, freePort, OWNER_TOKEN, type Reply, startMain } from "../fixtures.ts";
import { openStore } from "../../lib/kv/store.ts";
import { loadConfig } from "../../lib/config.ts";

const decoder = new TextDecoder();

Deno.test("[server] SIGTERM under load: answered and stored, or refused before any write", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-drain-" });
  const path = `${dir}/store.kv`;
  const main = await startMain({
    SEATSERVE_KV_PATH: path,
    SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN,
    SEATSERVE_DRAIN_SECONDS: "5",
    // Commits that take a while, so that many are in flight when the signal comes.
    SEATSERVE_TEST_COMMIT_DELAY_MS: "40",
  });
  try {
    const tables = (await (await fetch(`${main.base}/api/tables`, {
      headers: { authorization: `Bearer ${OWNER_TOKEN}` },
    })).json()).tables;
    const menu = await (await fetch(`${main.base}/api/menu?location=demo`)).json();
    const item = menu.items.find((i: { available: boolean; optionGroups: { min: number }[] }) =>
      i.available && i.optionGroups.every((g) => g.min === 0)
    );
    type Outcome = { note: string; status: number | "network"; reply?: Reply };
    const outcomes: Outcome[] = [];
    let stopping = false;
    let signalled: Promise<{ code: number; ms: number }> | null = null;
    const worker = async (w: number) => {
      for (let n = 0; !stopping || n < 1_000_000; n++) {
        const note = `w${w}-${n}`;
        try {
          const response = await fetch(`${main.base}/api/orders`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              tableToken: tables[w % tables.length].token,
              items: [{ menuItemId: item.id, quantity: 1 }],
              note,
            }),
          });
          const text = await response.text();
          outcomes.push({
            note,
            status: response.status,
            reply: {
              status: response.status,
              headers: response.headers,
              text,
              body: safeJson(text),
            },
          });
        } catch {
          outcomes.push({ note, status: "network" });
          if (stopping) return; // the server is gone: this worker is done
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    };
    const workers = Array.from({ length: 24 }, (_, w) => worker(w));
    await new Promise((resolve) => setTimeout(resolve, 600));
    stopping = true;
    signalled = main.stop();
    const { code, ms } = await signalled;
    await Promise.all(workers);

    assert.equal(code, 0);
    assert.ok(ms < 5_000 + 1_500, `exited ${ms} ms after SIGTERM (deadline 5 s)`);
    const kv = await openStore(loadConfig({ SEATSERVE_KV_PATH: path }));
    const stored = new Set<string>();
    for await (const entry of kv.list<Uint8Array>({ prefix: ["order"] })) {
      stored.add(JSON.parse(decoder.decode(entry.value)).note);
    }
    kv.close();
    const created = outcomes.filter((o) => o.status === 201);
    assert.ok(created.length > 20, `only ${created.length} orders before the signal`);
    // Every 201 is in the store.
    for (const o of created) assert.ok(stored.has(o.note), `201 for ${o.note} but not stored`);
    // Everything stored was answered 201: none was committed and then cut off.
    const answered = new Set(created.map((o) => o.note));
    const lost = [...stored].filter((note) => !answered.has(note));
    assert.deepEqual(lost, [], "committed, then the client got no answer");
    // Whatever else was answered was refused in the contract's shape (503 while draining).
    for (const o of outcomes) {
      if (o.status === 201 || o.status === "network") continue;
      assert.equal(o.status, 503, o.reply?.text);
      assertErrorBody(o.reply!, "shutting_down");
    }
    assert.match(main.output(), /SIGTERM: drained in \d+ ms/);
  } finally {
    await main.stop().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("[server] out of file descriptors: it keeps running and answers again once they close", async () => {
  const port = freePort();
  const child = new Deno.Command("prlimit", {
    args: [
      "--nofile=160:160",
      Deno.execPath(),
      "run",
      "-A",
      "--unstable-kv",
      "--unstable-cron",
      new URL("../../main.ts", import.meta.url).pathname,
    ],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      SEATSERVE_KV_PATH: ":memory:",
      SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) output += chunk;
  };
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const base = `http://127.0.0.1:${port}`;
  const held: Deno.TcpConn[] = [];
  try {
    await until(async () => (await health(base)) === 200, 30_000, () => output);
    // Hold more idle connections than the process has descriptors.
    for (let i = 0; i < 400; i++) {
      try {
        held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      } catch {
        break; // the backlog is full: the server is out of descriptors
      }
    }
    await until(
      () => Promise.resolve(/accepting connections failed/.test(output)),
      10_000,
      () => output,
    );
    assert.equal(exited, false, `the server exited:\n${output}`);
    for (const conn of held.splice(0)) conn.close();
    // Served again once the connections are gone.
    await until(async () => (await health(base)) === 200, 15_000, () => output);
    assert.equal(exited, false);
    assert.match(output, /Too many open files|accepting connections failed/);
  } finally {
    for (const conn of held) conn.close();
    if (!exited) child.kill("SIGKILL");
    await status;
    await collected;
  }
});

Deno.test("[server] the start-up banner prints no table token; the store is private", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-private-" });
  const path = `${dir}/data/store.kv`;
  const main = await startMain({ SEATSERVE_KV_PATH: path, SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN });
  try {
    const tables = (await (await fetch(`${main.base}/api/tables`, {
      headers: { authorization: `Bearer ${OWNER_TOKEN}` },
    })).json()).tables as { token: string }[];
    assert.equal(tables.length, 12);
    for (const table of tables) {
      assert.ok(
        !main.output().includes(table.token),
        `a table token in the log:\n${main.output()}`,
      );
    }
    assert.ok(!main.output().includes(OWNER_TOKEN), "the configured owner token was printed");
    assert.equal((await Deno.stat(`${dir}/data`)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    for (const side of [`${path}-wal`, `${path}-shm`]) {
      const mode = (await Deno.stat(side).catch(() => null))?.mode;
      if (mode !== undefined && mode !== null) assert.equal(mode & 0o077, 0, side);
    }
  } finally {
    await main.stop().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("[server] a store file left readable by an older version is made private on open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-private-" });
  const path = `${dir}/old.kv`;
  const old = await Deno.openKv(path);
  await old.set(["x"], 1);
  old.close();
  await Deno.chmod(path, 0o644);
  const kv = await openStore(loadConfig({ SEATSERVE_KV_PATH: path }));
  try {
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await kv.get(["x"])).value, 1);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

async function health(base: string): Promise<number | null> {
  try {
    const response = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return null;
  }
}

async function until(
  check: () => Promise<boolean>,
  ms: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms; output:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function safeJson(text: string) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
