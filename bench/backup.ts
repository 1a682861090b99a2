/**
 * `deno task bench:backup [orders]`: fills a fresh local store with orders (default 100,000,
 * through `commitOrderChanges` in batches of 50, each with an idempotency key, a fifth of them
 * moved on once), then times `deno task backup`'s work (a consistent copy, gzip) and a restore
 * into a new path, and an export and import, and prints the file sizes. Figures go to
 * BENCHMARKS.md.
 */
import { createBackup, restoreBackup } from "../lib/backup/snapshot.ts";
import { exportToFile, importStore, readExportLines } from "../lib/backup/ndjson.ts";
import { listMenuItems } from "../lib/catalog/menu.ts";
import { seedDemo } from "../lib/catalog/seed.ts";
import { listTables } from "../lib/catalog/tables.ts";
import { newId } from "../lib/kv/ids.ts";
import { newOrder, priceLines } from "../lib/orders/pricing.ts";
import { commitOrderChanges, type OrderWrite } from "../lib/orders/store.ts";
import { moveOrder } from "../lib/orders/lifecycle.ts";
import { encodeJson } from "../lib/kv/codec.ts";

const total = Number(Deno.args[0] ?? 100_000);
const withExport = !Deno.args.includes("--no-export");
const dir = await Deno.makeTempDir({ prefix: "seatserve-bench-backup-" });
const path = `${dir}/store.kv`;
const retentionMs = 7 * 24 * 60 * 60 * 1000;
const seconds = (start: number) => ((performance.now() - start) / 1000).toFixed(1);
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

try {
  const kv = await Deno.openKv(path);
  const location = (await seedDemo(kv))!;
  const items = (await listMenuItems(kv, location.id)).filter((i) => i.available);
  const tables = await listTables(kv, location.id);
  const menu = new Map(items.map((i) => [i.id, i]));
  let started = performance.now();
  for (let done = 0; done < total; done += 50) {
    const now = new Date();
    const writes: OrderWrite[] = [];
    for (let i = done; i < Math.min(total, done + 50); i++) {
      const table = tables[i % tables.length];
      const { lines, totalCents } = priceLines([
        { menuItemId: items[i % items.length].id, quantity: 1 + (i % 3), note: "no onions" },
        { menuItemId: items[(i * 7) % items.length].id, quantity: 1 },
      ], menu);
      let order = newOrder({
        id: newId(),
        table,
        currency: location.currency,
        lines,
        totalCents,
        note: i % 4 ? "" : "by the window",
        now,
      });
      if (i % 5 === 0) order = moveOrder(order, "queued", "bench", now);
      writes.push({
        order,
        json: encodeJson(order),
        previous: null,
        idempotency: {
          key: `bench-${i}`,
          requestHash: "x".repeat(64),
          expiresAt: now.getTime() + 86_400_000,
          claimed: null,
        },
      });
    }
    const ok = await commitOrderChanges(kv, writes, { now, retentionMs });
    if (!ok) throw new Error("fill commit failed");
  }
  console.log(`filled ${total} orders in ${seconds(started)} s`);
  kv.close();
  const storeBytes = (await Deno.stat(path)).size +
    (await Deno.stat(`${path}-wal`).then((s) => s.size, () => 0));

  started = performance.now();
  const backup = await createBackup(path, { dir: `${dir}/backups` });
  const backupS = seconds(started);
  console.log(
    `backup: ${backupS} s, ${backup.manifest.entries} entries, store ${mb(storeBytes)} MB ` +
      `(copy ${mb(backup.manifest.bytes)} MB) -> file ${mb(backup.fileBytes)} MB`,
  );
  started = performance.now();
  await restoreBackup(backup.path, `${dir}/restored.kv`);
  console.log(`restore: ${seconds(started)} s`);

  if (withExport) {
    const source = await Deno.openKv(`${dir}/restored.kv`);
    started = performance.now();
    const file = `${dir}/export.ndjson.gz`;
    const entries = await exportToFile(source, file);
    source.close();
    console.log(
      `export: ${seconds(started)} s, ${entries} entries -> ${mb((await Deno.stat(file)).size)} MB`,
    );
    const target = await Deno.openKv(`${dir}/imported.kv`);
    started = performance.now();
    const result = await importStore(target, readExportLines(file), { retentionMs });
    target.close();
    console.log(
      `import: ${seconds(started)} s, ${result.entries} entries, ` +
        `${result.feedEntries} feed entries re-appended`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
