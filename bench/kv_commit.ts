/**
 * The store's own ceiling, without HTTP: commits realistic orders through `commitOrderChanges`
 * (the one write path) in batches of several sizes, one or two commits in flight, with no
 * idempotency keys, time-ordered ones (ULIDs) or random ones (UUIDv4), and reports orders/s and bytes the process wrote to disk per order.
 *
 *   deno run -A --unstable-kv bench/kv_commit.ts [--seconds 3] [--dir /tmp]
 */
import { parseArgs } from "node:util";
import { newId, sha256Hex } from "../lib/kv/ids.ts";
import { listMenuItems } from "../lib/catalog/menu.ts";
import { requiredChoice } from "../lib/catalog/options.ts";
import { newOrder, priceLines } from "../lib/orders/pricing.ts";
import { commitOrderChanges, type OrderWrite } from "../lib/orders/store.ts";
import { seedDemo } from "../lib/catalog/seed.ts";
import { listTables } from "../lib/catalog/tables.ts";

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--"),
  options: { seconds: { type: "string", default: "3" }, dir: { type: "string" } },
});
const seconds = Number(values.seconds);

for (const idempotency of ["none", "ordered", "random"] as const) {
  for (const inFlight of [1, 2]) {
    for (const batch of [1, 16, 32, 64]) {
      const dir = await Deno.makeTempDir({ prefix: "seatserve-kvbench-", dir: values.dir });
      const kv = await Deno.openKv(`${dir}/bench.kv`);
      try {
        const r = await run(kv, { batch, inFlight, idempotency });
        console.log(
          `batch ${String(batch).padStart(2)} in flight ${inFlight} idempotency keys ${
            idempotency.padEnd(7)
          }: ${r.perSecond.toFixed(0).padStart(6)} orders/s, ${
            (r.bytesPerOrder / 1024).toFixed(1)
          } KiB written per order`,
        );
      } finally {
        kv.close();
        await Deno.remove(dir, { recursive: true });
      }
    }
  }
}

async function run(
  kv: Deno.Kv,
  options: { batch: number; inFlight: number; idempotency: "none" | "ordered" | "random" },
): Promise<{ perSecond: number; bytesPerOrder: number }> {
  const location = (await seedDemo(kv))!;
  const items = (await listMenuItems(kv, location.id)).filter((i) => i.available);
  const menu = new Map(items.map((i) => [i.id, i]));
  const tables = await listTables(kv, location.id);
  let n = 0;
  const change = (): OrderWrite => {
    n++;
    const lines = Array.from({ length: 1 + (n % 4) }, (_, i) => ({
      menuItemId: items[(n + i * 5) % items.length].id,
      options: requiredChoice(items[(n + i * 5) % items.length]) ?? [],
      quantity: 1 + (n % 3),
      note: n % 3 ? "" : "no onions",
    }));
    const priced = priceLines(lines, menu);
    const order = newOrder({
      id: newId(),
      table: tables[n % tables.length],
      currency: location.currency,
      ...priced,
      lines: priced.lines,
      note: "",
      now: new Date(),
    });
    return {
      order,
      previous: null,
      idempotency: options.idempotency !== "none"
        ? {
          key: options.idempotency === "ordered" ? newId() : crypto.randomUUID(),
          requestHash: sha256Hex(JSON.stringify(lines)),
          expiresAt: Date.now() + 86_400_000,
          claimed: null,
        }
        : undefined,
    };
  };
  const writtenBefore = writeBytes();
  const started = performance.now();
  let orders = 0;
  const worker = async () => {
    while (performance.now() - started < seconds * 1000) {
      const changes = Array.from({ length: options.batch }, change);
      const ok = await commitOrderChanges(kv, changes, {
        now: new Date(),
        retentionMs: 7 * 86_400_000,
      });
      if (!ok) throw new Error("commit failed a check");
      orders += changes.length;
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: orders / elapsed, bytesPerOrder: (writeBytes() - writtenBefore) / orders };
}

/** Bytes this process has caused to be written to storage (dirty pages count when written). */
function writeBytes(): number {
  const io = Deno.readTextFileSync("/proc/self/io");
  return Number(/^wchar: (\d+)/m.exec(io)?.[1] ?? 0);
}
