/**
 * `deno task report [--from <time>] [--to <time>] [--location <slug>]`: prints the analytics of a
 * location (default: the first) from the mirror's views as tables. `--from` and `--to` take ISO
 * times or dates (UTC); defaults: the last 30 days. `--json` prints the summary as JSON instead.
 */
import { parseArgs } from "node:util";
import { postgresClient } from "../lib/mirror/client.ts";
import { configFromEnv } from "../lib/config.ts";
import { firstLocation, getLocationBySlug } from "../lib/catalog/locations.ts";
import { analyticsSummary } from "../lib/mirror/analytics.ts";
import { formatReport } from "../lib/mirror/report.ts";

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--"),
  options: {
    from: { type: "string" },
    to: { type: "string" },
    location: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const config = configFromEnv();
if (!config.databaseUrl) {
  console.error("Set DATABASE_URL to the Postgres of the analytics mirror.");
  Deno.exit(2);
}
const to = values.to ? new Date(values.to) : new Date();
const from = values.from ? new Date(values.from) : new Date(to.getTime() - 30 * 86_400_000);
if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
  console.error("--from and --to are ISO times or dates, --from before --to.");
  Deno.exit(2);
}
const kv = await Deno.openKv(config.kvPath);
const sql = postgresClient(config.databaseUrl, {
  name: "seatserve-task",
  max: 1,
  statementTimeoutMs: 0,
});
try {
  const location = values.location
    ? await getLocationBySlug(kv, values.location)
    : await firstLocation(kv);
  if (!location) {
    console.error(values.location ? `No location "${values.location}".` : "No location yet.");
    Deno.exit(1);
  }
  const summary = await analyticsSummary(sql, location.id, { from, to });
  console.log(
    values.json ? JSON.stringify(summary, null, 2) : formatReport(location.name, summary),
  );
} finally {
  await sql.end();
  kv.close();
}
