/**
 * Encrypted backups (lib/backup/encryption.ts, snapshot.ts): a round trip restores every entry;
 * a flipped byte anywhere, a wrong key, a truncated or extended file are each refused with a
 * clear message and nothing is written; several keys rotate (the newest encrypts, all decrypt);
 * `deno task backup` and `restore` use `BACKUP_KEY`.
 */
import assert from "node:assert/strict";
import {
  backupKeyId,
  decodeBackupKeys,
  decryptStream,
  encryptStream,
  importBackupKeys,
} from "../../lib/backup/encryption.ts";
import { createBackup, readManifest, restoreBackup } from "../../lib/backup/snapshot.ts";
import { loadConfig } from "../../lib/config.ts";
import { newTestServices, placeOrder } from "../fixtures.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../..", import.meta.url).pathname;

function rawKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

async function entries(path: string): Promise<[string, string, string][]> {
  const kv = await Deno.openKv(path);
  try {
    const all = await Array.fromAsync(kv.list({ prefix: [] }));
    return all.map((e) => [JSON.stringify(e.key), JSON.stringify(e.value), e.versionstamp]);
  } finally {
    kv.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function roundTrip(plain: Uint8Array, keys: Awaited<ReturnType<typeof importBackupKeys>>) {
  const sealed: Uint8Array[] = [];
  for await (const piece of encryptStream(keys[0])(one(plain))) sealed.push(piece);
  return concat(sealed);
}

async function* one(bytes: Uint8Array) {
  // In uneven pieces, as a file stream gives them.
  for (let i = 0; i < bytes.length; i += 70_001) yield bytes.subarray(i, i + 70_001);
}

function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of pieces) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

async function decrypt(sealed: Uint8Array, keys: Awaited<ReturnType<typeof importBackupKeys>>) {
  const out: Uint8Array[] = [];
  for await (const piece of decryptStream(keys, "f")(one(sealed))) out.push(piece);
  return concat(out);
}

Deno.test("[backup encryption] keys: 32 bytes base64, ids from their hash, bad ones refused", () => {
  const a = rawKey();
  const b = rawKey();
  const keys = decodeBackupKeys(`${base64(a)}, ${base64(b)}`);
  assert.deepEqual(keys, [a, b]);
  assert.equal(backupKeyId(a).length, 16);
  assert.notEqual(backupKeyId(a), backupKeyId(b));
  assert.deepEqual(loadConfig({}).backupKeys, []);
  assert.throws(() => loadConfig({ BACKUP_KEY: base64(a.subarray(0, 16)) }), /32/);
  assert.throws(() => loadConfig({ BACKUP_KEY: "not base64!!" }), /base64/);
});

Deno.test("[backup encryption] the stream format: chunks, tamper, truncation, keys", async (t) => {
  const keys = await importBackupKeys([rawKey()]);
  const other = await importBackupKeys([rawKey()]);
  // Just over two chunks of 1 MiB, so there are middle chunks and a short last one.
  const plain = new Uint8Array(2 * (1 << 20) + 12345);
  for (let i = 0; i < plain.length; i += 65536) {
    plain.set(crypto.getRandomValues(new Uint8Array(Math.min(65536, plain.length - i))), i);
  }
  const sealed = await roundTrip(plain, keys);

  await t.step("round trip; nothing of the plaintext shows", async () => {
    assert.deepEqual(await decrypt(sealed, keys), plain);
    assert.equal(sealed.length, plain.length + 7 + sealed.indexOf(0x0a, 7) - 6 + 3 * 32);
    const probe = plain.subarray(5000, 5032);
    const text = Array.from(sealed).join(",");
    assert.ok(!text.includes(Array.from(probe).join(",")));
  });

  await t.step("an empty input still makes a file that decrypts to nothing", async () => {
    const empty = await roundTrip(new Uint8Array(0), keys);
    assert.equal((await decrypt(empty, keys)).length, 0);
  });

  await t.step("a flipped byte anywhere is refused", async () => {
    const positions = [
      0,
      3,
      10,
      40,
      sealed.indexOf(0x0a, 7) + 5,
      1 << 19,
      1 << 20,
      sealed.length - 1,
    ];
    for (let i = 0; i < 20; i++) positions.push(Math.floor(Math.random() * sealed.length));
    for (const at of positions) {
      const bad = sealed.slice();
      bad[at] ^= 0x01;
      await assert.rejects(
        () => decrypt(bad, keys),
        /damaged|truncated|not an encrypted|not in BACKUP_KEY/,
        `@${at}`,
      );
    }
  });

  await t.step("truncated anywhere, or with bytes after its end, is refused", async () => {
    for (const cut of [5, 60, 1 << 20, (1 << 20) + 28 + 50, sealed.length - 1]) {
      await assert.rejects(
        () => decrypt(sealed.subarray(0, cut), keys),
        /damaged|truncated|not an encrypted/,
      );
    }
    const longer = concat([sealed, new Uint8Array([1, 2, 3])]);
    await assert.rejects(() => decrypt(longer, keys), /damaged|truncated/);
  });

  await t.step("a wrong key or no key says which key the file needs", async () => {
    await assert.rejects(() => decrypt(sealed, other), new RegExp(`key ${keys[0].id}`));
    await assert.rejects(() => decrypt(sealed, []), /set BACKUP_KEY/);
  });
});

Deno.test(
  "[backup encryption] backup → restore with keys; tampered files write nothing",
  opts,
  async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "seatserve-enc-" });
    const source = `${dir}/source.kv`;
    const s = await newTestServices({ SEATSERVE_KV_PATH: source });
    try {
      for (let i = 0; i < 50; i++) await placeOrder(s);
    } finally {
      s.close();
    }
    const [oldRaw, newRaw] = [rawKey(), rawKey()];
    const oldKeys = await importBackupKeys([oldRaw]);
    const rotated = await importBackupKeys([newRaw, oldRaw]);
    const original = await entries(source);

    const old = await createBackup(source, { dir: `${dir}/backups`, key: oldKeys[0] });
    await t.step("an encrypted backup is named .enc and holds no readable store", async () => {
      assert.match(old.path, /\.sqlite\.gz\.enc$/);
      const bytes = await Deno.readFile(old.path);
      assert.equal(new TextDecoder().decode(bytes.subarray(0, 7)), "SSENC1\n");
      assert.ok(!new TextDecoder().decode(bytes).includes("seatserve-backup"));
      assert.deepEqual(await readManifest(old.path, oldKeys), old.manifest);
    });

    await t.step(
      "restores equal, also after rotation (the new key first, the old still there)",
      async () => {
        await restoreBackup(old.path, `${dir}/a.kv`, { keys: oldKeys });
        assert.deepEqual(await entries(`${dir}/a.kv`), original);
        await restoreBackup(old.path, `${dir}/b.kv`, { keys: rotated });
        assert.deepEqual(await entries(`${dir}/b.kv`), original);
        const fresh = await createBackup(source, {
          dir: `${dir}/backups`,
          key: rotated[0],
          now: new Date(Date.now() + 1000),
        });
        await assert.rejects(
          () => restoreBackup(fresh.path, `${dir}/c.kv`, { keys: oldKeys }),
          new RegExp(`key ${rotated[0].id}, which is not in BACKUP_KEY`),
        );
        assert.equal(await exists(`${dir}/c.kv`), false);
        await restoreBackup(fresh.path, `${dir}/c.kv`, { keys: rotated });
        assert.deepEqual(await entries(`${dir}/c.kv`), original);
      },
    );

    await t.step(
      "a flipped byte, a wrong key, no key, a truncated file: refused, nothing written",
      async () => {
        const bytes = await Deno.readFile(old.path);
        const cases: [string, Uint8Array, typeof oldKeys, RegExp][] = [];
        for (const at of [20, Math.floor(bytes.length / 2), bytes.length - 1]) {
          const bad = bytes.slice();
          bad[at] ^= 0x40;
          cases.push([`flipped@${at}`, bad, oldKeys, /damaged/]);
        }
        cases.push(["wrong key", bytes, await importBackupKeys([rawKey()]), /not in BACKUP_KEY/]);
        cases.push(["no key", bytes, [], /set BACKUP_KEY/]);
        cases.push([
          "truncated",
          bytes.subarray(0, bytes.length - 100),
          oldKeys,
          /damaged|truncated/,
        ]);
        for (const [name, content, keys, error] of cases) {
          const file = `${dir}/case.sqlite.gz.enc`;
          await Deno.writeFile(file, content);
          const target = `${dir}/refused-${name.replace(/\W/g, "")}.kv`;
          await assert.rejects(() => restoreBackup(file, target, { keys }), error, name);
          assert.equal(await exists(target), false, name);
          assert.equal(await exists(`${target}.restoring`), false, name);
        }
      },
    );

    await t.step("the tasks: backup encrypts with BACKUP_KEY, restore needs it", async () => {
      const env = {
        SEATSERVE_KV_PATH: source,
        BACKUP_DIR: `${dir}/task-backups`,
        BACKUP_KEY: `${base64(newRaw)},${base64(oldRaw)}`,
      };
      const task = (name: string, args: string[], extra: Record<string, string>) =>
        new Deno.Command(Deno.execPath(), {
          args: ["task", "-q", name, ...args],
          cwd: ROOT,
          env: { ...env, ...extra },
          stdout: "piped",
          stderr: "piped",
        }).output();
      const made = await task("backup", [], {});
      assert.equal(made.code, 0, new TextDecoder().decode(made.stderr));
      const file = new TextDecoder().decode(made.stdout).trim().split("\n").at(-1)!;
      assert.match(file, /\.enc$/);
      assert.match(new TextDecoder().decode(made.stderr), new RegExp(`key ${rotated[0].id}`));
      const refused = await task("restore", [file], {
        SEATSERVE_KV_PATH: `${dir}/task-refused.kv`,
        BACKUP_KEY: "",
      });
      assert.equal(refused.code, 1);
      assert.match(new TextDecoder().decode(refused.stderr), /set BACKUP_KEY/);
      assert.equal(await exists(`${dir}/task-refused.kv`), false);
      const restored = await task("restore", [file], { SEATSERVE_KV_PATH: `${dir}/task.kv` });
      assert.equal(restored.code, 0, new TextDecoder().decode(restored.stderr));
      assert.deepEqual(await entries(`${dir}/task.kv`), original);
    });
    await Deno.remove(dir, { recursive: true });
  },
);
