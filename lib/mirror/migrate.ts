/**
 * Versioned SQL migrations of the analytics mirror: `lib/mirror/migrations/NNN_name.sql`, applied
 * in order, each once, with their rows in `schema_migrations`, all pending ones in one transaction
 * under an advisory lock, so that processes starting together apply each exactly once and a
 * failing migration leaves the schema as it was.
 */
import type postgres from "postgres";

/** A migration file: its number, name and SQL. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);
/** Any fixed number: the advisory lock that serialises migrations. */
const LOCK_ID = 7_134_013;

/** The migrations in the repository, in version order. */
export async function listMigrations(): Promise<Migration[]> {
  const found: Migration[] = [];
  for await (const entry of Deno.readDir(MIGRATIONS_DIR)) {
    const match = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(entry.name);
    if (!entry.isFile || !match) continue;
    const sql = await Deno.readTextFile(new URL(entry.name, MIGRATIONS_DIR));
    found.push({ version: Number(match[1]), name: match[2], sql });
  }
  found.sort((a, b) => a.version - b.version);
  found.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i + 1} is missing (found ${m.version})`);
  });
  return found;
}

/** Applies the migrations not applied yet; returns the versions it applied. */
export async function migrate(sql: postgres.Sql): Promise<number[]> {
  const migrations = await listMigrations();
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_ID})`;
    await tx`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version     integer PRIMARY KEY,
        name        text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
      )`;
    const rows = await tx<{ version: number }[]>`SELECT version FROM schema_migrations`;
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO schema_migrations (version, name)
               VALUES (${migration.version}, ${migration.name})`;
      applied.push(migration.version);
    }
    return applied;
  });
}
