/**
 * `deno task mirror:rebuild [--force]`: replays everything from the store into the (empty)
 * Postgres at `DATABASE_URL`: migrations, then per location its catalog and every order (a
 * progress bar on stderr, also when stderr is not a terminal), then the change feed from its
 * start, leaving the cursors at the feed's head so `deno task mirror` or the server go on from
 * there. A database that already holds orders is refused unless `--force`, which empties the
 * mirror's tables first. Run it with the server stopped or not: rows only ever move forward.
 */
import { parseArgs } from "node:util";
import process from "node:process";
import cliProgress from "cli-progress";
import { postgresClient } from "../lib/mirror/client.ts";
import { configFromEnv } from "../lib/config.ts";
import { listLocations } from "../lib/catalog/locations.ts";
import { FeedConsumer } from "../lib/feed/consumer.ts";
import { ordersPrefix } from "../lib/kv/keys.ts";
import { migrate } from "../lib/mirror/migrate.ts";
import { mirrorSink, repairLocation, resetMirrorCursor } from "../lib/mirror/sink.ts";

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--"),
  options: { force: { type: "boolean", default: false } },
});
const config = configFromEnv();
if (!config.databaseUrl) {
  console.error("Set DATABASE_URL to the Postgres of the analytics mirror.");
  Deno.exit(2);
}
const kv = await Deno.openKv(config.kvPath);
const sql = postgresClient(config.databaseUrl, {
  name: "seatserve-task",
  max: 2,
  statementTimeoutMs: 0,
});
try {
  await migrate(sql);
  const [{ count }] = await sql<{ count: string }[]>`SELECT count(*) FROM orders`;
  if (Number(count) > 0 && !values.force) {
    console.error(
      `The database already holds ${count} orders. Rebuild into an empty database, or pass ` +
        "--force to empty the mirror's tables first.",
    );
    Deno.exit(1);
  }
  if (values.force) {
    await sql`TRUNCATE mirror_cursors, locations, menu_items, tables, orders, order_lines,
              order_status_changes, table_visits, service_requests, audit_entries`;
  }
  const locations = await listLocations(kv);
  let total = 0;
  for (const location of locations) {
    for await (const _ of kv.list({ prefix: ordersPrefix(location.id) }, { batchSize: 1000 })) {
      total++;
    }
  }
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    noTTYOutput: true,
    notTTYSchedule: 1000,
    format: "orders {bar} {percentage}% | {value}/{total} | {rate}/s | {location}",
  }, cliProgress.Presets.shades_classic);
  const started = performance.now();
  bar.start(total, 0, { location: "", rate: 0 });
  let before = 0;
  const sink = mirrorSink(kv, sql);
  for (const location of locations) {
    await resetMirrorCursor(sql, location.id);
    // The consumer repairs a sink that never ran (all orders, with the bar) and then replays
    // the feed from its start, so the cursor ends at the head.
    const consumer = new FeedConsumer(kv, {
      ...sink,
      repair: (locationId) =>
        repairLocation(kv, sql, locationId, {
          onOrders: (written) => {
            const value = before + written;
            const seconds = (performance.now() - started) / 1000;
            bar.update(value, { location: location.slug, rate: Math.round(value / seconds) });
          },
        }),
    }, { retentionMs: config.eventRetentionMs, batchChanges: config.mirrorBatchChanges });
    await consumer.sync(location.id);
    consumer.close();
    const [{ n }] = await sql<{ n: string }[]>`
      SELECT count(*) AS n FROM orders WHERE location_id = ${location.id}`;
    before += Number(n);
    bar.update(before, { location: location.slug });
  }
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `rebuilt ${locations.length} location(s), ${before} orders in ${seconds.toFixed(1)} s`,
  );
} finally {
  await sql.end();
  kv.close();
}
