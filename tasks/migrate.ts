/** `deno task migrate`: applies the mirror's pending SQL migrations to `DATABASE_URL`. */
import { postgresClient } from "../lib/mirror/client.ts";
import { configFromEnv } from "../lib/config.ts";
import { listMigrations, migrate } from "../lib/mirror/migrate.ts";

const config = configFromEnv();
if (!config.databaseUrl) {
  console.error("Set DATABASE_URL to the Postgres of the analytics mirror.");
  Deno.exit(2);
}
const sql = postgresClient(config.databaseUrl, {
  name: "seatserve-task",
  max: 1,
  statementTimeoutMs: 0,
});
try {
  const applied = await migrate(sql);
  const all = await listMigrations();
  console.log(
    applied.length
      ? `applied ${applied.map((v) => all[v - 1].version + "_" + all[v - 1].name).join(", ")}`
      : `up to date (${all.length} migrations)`,
  );
} finally {
  await sql.end();
}
