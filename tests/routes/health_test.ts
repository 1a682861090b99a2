/**
 * Health (routes/api/health.ts): liveness, readiness while starting, serving, draining and with
 * the store gone, and how scheduled backups went, including a failed `BACKUP_AFTER`.
 */
import assert from "node:assert/strict";
import { listBackups } from "../../lib/backup/snapshot.ts";
import { closeServices, createServices } from "../../lib/services.ts";
import { createApp } from "../../routes/app.ts";
import { newTestServices, testConfig } from "../fixtures.ts";

Deno.test("[health] live and ready", async (t) => {
  const config = testConfig();
  const kv = await Deno.openKv(":memory:");
  const services = await createServices(kv, config);
  const app = createApp(services);
  const probe = async (path: string) => {
    const res = await app.request(path);
    return { status: res.status, body: await res.json() };
  };
  try {
    await t.step("starting: live, not ready", async () => {
      assert.deepEqual(await probe("/api/health/live"), { status: 200, body: { status: "ok" } });
      assert.deepEqual(await probe("/api/health/ready"), {
        status: 503,
        body: { status: "unavailable", reason: "starting" },
      });
    });
    await t.step("serving: ready", async () => {
      services.readiness.ready();
      assert.deepEqual(await probe("/api/health/ready"), { status: 200, body: { status: "ok" } });
      const health = await probe("/api/health");
      assert.equal(health.status, 200);
      assert.equal(health.body.phase, "ready");
      assert.deepEqual(health.body.backup, {
        state: "off",
        lastAt: null,
        lastFile: null,
        lastSuccessAt: null,
        error: null,
      });
    });
    await t.step("draining: live, not ready", async () => {
      services.readiness.drain();
      services.readiness.ready(); // a late "listening" does not undo draining
      assert.deepEqual(await probe("/api/health/ready"), {
        status: 503,
        body: { status: "unavailable", reason: "draining" },
      });
      assert.equal((await probe("/api/health/live")).status, 200);
    });
    await t.step("the store gone: not ready", async () => {
      services.readiness.phase = "ready";
      kv.close();
      assert.deepEqual(await probe("/api/health/ready"), {
        status: 503,
        body: { status: "unavailable", reason: "store" },
      });
      assert.equal((await probe("/api/health/live")).status, 200);
    });
  } finally {
    closeServices(services);
  }
});

Deno.test("[health] scheduled backups: kept, copied off, failures shown", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-health-" });
  const copies = `${dir}/offsite`;
  await Deno.mkdir(copies);
  const s = await newTestServices({
    SEATSERVE_KV_PATH: `${dir}/store.kv`,
    BACKUP_DIR: `${dir}/backups`,
    BACKUP_KEEP: "2",
    BACKUP_AFTER: `cp -t ${copies}`,
  });
  try {
    await t.step("each run keeps the newest two and hands the file to BACKUP_AFTER", async () => {
      assert.equal(s.services.backups.status.state, "pending");
      for (let i = 0; i < 3; i++) {
        const status = await s.services.backups.run();
        assert.equal(status.state, "ok", status.error ?? "");
        await new Promise((r) => setTimeout(r, 5)); // distinct file names (ms)
      }
      const kept = await listBackups(`${dir}/backups`);
      assert.equal(kept.length, 2);
      const health = await (await s.app.request("/api/health")).json();
      assert.equal(health.backup.state, "ok");
      assert.equal(health.backup.lastFile, kept[1]);
      assert.equal(health.backup.error, null);
      const copied = (await Array.fromAsync(Deno.readDir(copies))).map((e) => e.name).sort();
      assert.equal(copied.length, 3);
      assert.ok(copied.includes(kept[1].split("/").pop()!));
    });
    await t.step("a failing BACKUP_AFTER is logged and shown, with the last success", async () => {
      const before = s.services.backups.status.lastSuccessAt;
      // The same schedule with a command that fails.
      const { BackupSchedule } = await import("../../lib/backup/schedule.ts");
      s.services.backups = new BackupSchedule({ ...s.config, backupAfter: "false" });
      s.services.backups.status.lastSuccessAt = before;
      const status = await s.services.backups.run();
      assert.equal(status.state, "failed");
      assert.match(status.error!, /BACKUP_AFTER exited with 1/);
      const res = await s.app.request("/api/health");
      assert.equal(res.status, 200); // the store answers; the backup's failure is shown
      const health = await res.json();
      assert.equal(health.backup.state, "failed");
      assert.equal(health.backup.lastSuccessAt, before);
      assert.match(health.backup.error, /BACKUP_AFTER/);
    });
  } finally {
    s.close();
    await Deno.remove(dir, { recursive: true });
  }
});
