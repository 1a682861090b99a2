/**
 * The command-line tasks (tasks/*.ts) as an operator runs them: backup prints the file's path as
 * its last line of stdout with progress on stderr; restore and import refuse a store that holds
 * data unless `--force`; export and import move a store through an NDJSON file.
 */
import assert from "node:assert/strict";
import { seedDemo } from "../../lib/catalog/seed.ts";

const root = new URL("../../", import.meta.url).pathname;

async function task(name: string, args: string[], env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "--no-check", `tasks/${name}.ts`, ...args],
    cwd: root,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

async function entries(path: string) {
  const kv = await Deno.openKv(path);
  try {
    return await Array.fromAsync(kv.list({ prefix: [] }));
  } finally {
    kv.close();
  }
}

Deno.test("[tasks] backup, restore, export, import", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-tasks-" });
  const source = `${dir}/source.kv`;
  const kv = await Deno.openKv(source);
  await seedDemo(kv);
  kv.close();
  try {
    let file = "";
    await t.step("backup: progress on stderr, the file's path last on stdout", async () => {
      const run = await task("backup", [], { SEATSERVE_KV_PATH: source, BACKUP_DIR: `${dir}/b` });
      assert.equal(run.code, 0, run.stderr);
      file = run.stdout.trim().split("\n").at(-1)!;
      assert.match(file, /\/b\/seatserve-backup-v1-\d{8}T\d{9}Z\.sqlite\.gz$/);
      assert.ok((await Deno.stat(file)).size > 0);
      assert.match(run.stderr, /backup \[/);
    });
    await t.step("restore: into an empty path; refused on data without --force", async () => {
      const target = `${dir}/restored.kv`;
      const first = await task("restore", [file], { SEATSERVE_KV_PATH: target });
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(await entries(target), await entries(source));
      const again = await task("restore", [file], { SEATSERVE_KV_PATH: target });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /without --force/);
      const forced = await task("restore", [file, "--force"], { SEATSERVE_KV_PATH: target });
      assert.equal(forced.code, 0, forced.stderr);
    });
    await t.step(
      "export then import: the same entries; refused on data without --force",
      async () => {
        const out = `${dir}/x/export.ndjson.gz`;
        const exported = await task("export", [out], { SEATSERVE_KV_PATH: source });
        assert.equal(exported.code, 0, exported.stderr);
        assert.equal(exported.stdout.trim().split("\n").at(-1), out);
        const target = `${dir}/imported.kv`;
        const imported = await task("import", [out], { SEATSERVE_KV_PATH: target });
        assert.equal(imported.code, 0, imported.stderr);
        const plain = (list: Deno.KvEntry<unknown>[]) =>
          list.filter((e) => !["events", "events_head", "feed_epoch"].includes(e.key[0] as string))
            .map((e) => [e.key, e.value]);
        assert.deepEqual(plain(await entries(target)), plain(await entries(source)));
        const again = await task("import", [out], { SEATSERVE_KV_PATH: target });
        assert.equal(again.code, 1);
        assert.match(again.stderr, /without --force/);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
