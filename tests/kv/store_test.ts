/**
 * The store wrapper (lib/kv/store.ts) and the write paths under a remote store's limits: with
 * `SEATSERVE_KV_LIMITS=remote` every atomic op over 10 checks throws as a denokv server would, and
 * the write-path tests (group commit, order store and moves, catalog, sessions) run again under
 * it, and once more with 30 ms added to every commit.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../lib/config.ts";
import { limitedStore, StoreLimitError, wrapStore } from "../../lib/kv/store.ts";

const WRITE_PATH_TESTS = [
  "tests/orders/intake_test.ts",
  "tests/orders/store_test.ts",
  "tests/orders/order_test.ts",
  "tests/catalog/service_test.ts",
  "tests/catalog/cache_test.ts",
  "tests/auth/sessions_test.ts",
];

async function runTests(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const root = new URL("../../", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--unstable-kv", "--no-check", ...WRITE_PATH_TESTS],
    cwd: root,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

Deno.test("[kv] store limits", async (t) => {
  await t.step("the limits follow the path: a URL or no path is remote, a file local", () => {
    const remote = loadConfig({ SEATSERVE_KV_PATH: "https://kv.example.com" });
    assert.deepEqual(
      [remote.kvLimits, remote.maxChecksPerOp, remote.batchMaxChecks, remote.catalogRevalidate],
      ["remote", 10, 10, true],
    );
    const deploy = loadConfig({ DENO_DEPLOYMENT_ID: "x" });
    assert.deepEqual([deploy.kvPath, deploy.kvLimits, deploy.batchMaxChecks], [
      undefined,
      "remote",
      10,
    ]);
    const local = loadConfig({ SEATSERVE_KV_PATH: "./data/x.kv" });
    assert.deepEqual(
      [local.kvLimits, local.maxChecksPerOp, local.batchMaxChecks, local.catalogRevalidate],
      ["local", 100, 100, false],
    );
    assert.throws(() =>
      loadConfig({ SEATSERVE_KV_LIMITS: "remote", SEATSERVE_BATCH_MAX_CHECKS: "11" })
    );
    assert.throws(() => loadConfig({ SEATSERVE_KV_LIMITS: "both" }));
  });

  await t.step(
    "a forced remote store refuses an op over 10 checks and writes nothing",
    async () => {
      const raw = await Deno.openKv(":memory:");
      const kv = wrapStore(
        raw,
        loadConfig({ SEATSERVE_KV_PATH: ":memory:", SEATSERVE_KV_LIMITS: "remote" }),
      );
      try {
        const keys = Array.from({ length: 11 }, (_, i) => ["k", i]);
        const chained = keys.reduce(
          (op, key) => op.check({ key, versionstamp: null }),
          kv.atomic(),
        );
        await assert.rejects(() => chained.set(["written"], 1).commit(), StoreLimitError);
        const variadic = kv.atomic().check(...keys.map((key) => ({ key, versionstamp: null })));
        await assert.rejects(() => variadic.set(["written"], 1).commit(), StoreLimitError);
        assert.equal((await raw.get(["written"])).versionstamp, null);
        const ten = keys.slice(0, 10).reduce(
          (op, key) => op.check({ key, versionstamp: null }),
          kv.atomic(),
        );
        assert.equal((await ten.set(["written"], 2).commit()).ok, true);
        assert.equal((await raw.get(["written"])).value, 2);
        // Everything else passes through: commitVersionstamp, list, watch.
        await kv.atomic().set(["feed", kv.commitVersionstamp()], 1).commit();
        const listed = await Array.fromAsync(kv.list({ prefix: ["feed"] }));
        assert.equal(listed.length, 1);
      } finally {
        raw.close();
      }
    },
  );

  await t.step("a delayed store takes the delay on every commit, not on reads", async () => {
    const raw = await Deno.openKv(":memory:");
    const kv = limitedStore(raw, { maxChecks: 100, commitDelayMs: 30 });
    try {
      let started = performance.now();
      await kv.set(["a"], 1);
      assert.ok(performance.now() - started >= 29);
      started = performance.now();
      await kv.atomic().set(["b"], 1).commit();
      assert.ok(performance.now() - started >= 29);
      assert.equal((await kv.get(["a"])).value, 1);
    } finally {
      raw.close();
    }
  });

  await t.step("the write-path tests pass under a denokv server's limits", async () => {
    const { code, output } = await runTests({ SEATSERVE_KV_LIMITS: "remote" });
    assert.equal(code, 0, output.slice(-4000));
    assert.match(output, /ok \| \d+ passed/);
  });

  await t.step("the write-path tests pass with 30 ms added to every commit", async () => {
    const { code, output } = await runTests({
      SEATSERVE_KV_LIMITS: "remote",
      SEATSERVE_TEST_COMMIT_DELAY_MS: "30",
    });
    assert.equal(code, 0, output.slice(-4000));
  });
});
