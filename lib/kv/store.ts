/**
 * Opening the store, and keeping to the limits of the store it really is. A denokv server (and
 * Deno Deploy) allow 10 checks an atomic op where the local SQLite store allows 100; the code is
 * written to the stricter limit (`Config.maxChecksPerOp`), and `SEATSERVE_KV_LIMITS=remote` on a
 * local store wraps it so that any op over the remote limits throws, as the remote store would.
 * `SEATSERVE_TEST_COMMIT_DELAY_MS` adds a remote store's latency to every commit (tests only).
 */
import type { Config } from "../config.ts";

/** The limits a wrapped store enforces. */
export interface StoreLimits {
  /** Most checks in one atomic op. */
  maxChecks: number;
  /** Most mutations in one atomic op (1000 on every kind of store). */
  maxMutations?: number;
  /** Milliseconds added before every commit. */
  commitDelayMs?: number;
}

/**
 * Opens the configured store, wrapped when limits are forced. A local file holds the signing
 * secret and every token's hash, so it is private: its folder is created 0700 and the file (with
 * SQLite's `-wal` and `-shm` beside it, which take the file's mode) 0600, and a file left
 * readable by an older version is made private on open.
 */
export async function openStore(config: Config): Promise<Deno.Kv> {
  const path = config.kvPath;
  const local = path !== undefined && !/^https?:\/\//i.test(path);
  if (local && path !== ":memory:") await preparePrivateFile(path);
  const kv = await Deno.openKv(path);
  return wrapStore(kv, config);
}

async function preparePrivateFile(path: string): Promise<void> {
  await Deno.mkdir(path.replace(/[^/]*$/, "") || ".", { recursive: true, mode: 0o700 });
  try {
    (await Deno.open(path, { createNew: true, write: true, mode: 0o600 })).close();
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if (((await Deno.stat(file)).mode ?? 0) & 0o077) await Deno.chmod(file, 0o600);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/** The store as the configuration wants it: wrapped only when limits or a delay are forced on. */
export function wrapStore(kv: Deno.Kv, config: Config): Deno.Kv {
  const path = config.kvPath;
  const local = path !== undefined && !/^https?:\/\//i.test(path);
  const force = local && config.kvLimits === "remote";
  if (!force && !config.testCommitDelayMs) return kv;
  return limitedStore(kv, {
    maxChecks: force ? config.maxChecksPerOp : 100,
    commitDelayMs: config.testCommitDelayMs,
  });
}

/** The error a wrapped store throws for an op over its limits. */
export class StoreLimitError extends Error {
  override name = "StoreLimitError";
}

/**
 * `kv` with `limits` enforced on every atomic op (and a delay before every commit). Everything
 * else goes to `kv` unchanged; `kv.set` and `kv.delete` are commits too, so they are delayed.
 */
export function limitedStore(kv: Deno.Kv, limits: StoreLimits): Deno.Kv {
  const delay = () =>
    limits.commitDelayMs
      ? new Promise((resolve) => setTimeout(resolve, limits.commitDelayMs))
      : null;
  return new Proxy(kv, {
    get(target, name) {
      if (name === "atomic") return () => limitedOp(target.atomic(), limits, delay);
      const value = Reflect.get(target, name, target);
      if (typeof value !== "function") return value;
      if (name === "set" || name === "delete") {
        return async (...args: unknown[]) => {
          await delay();
          return await whenUnlocked(() =>
            (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
          );
        };
      }
      return value.bind(target);
    },
  });
}

/**
 * Runs a commit again while SQLite says another handle holds the write lock. A wrapped store
 * stands in for a remote one, which many instances share and which orders their commits itself;
 * several handles on one local file (as tests open them) instead refuse a commit that meets
 * another's. One process owns a local store in production, so unwrapped stores never see this.
 */
async function whenUnlocked<T>(commit: () => Promise<T>): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await commit();
    } catch (error) {
      if (attempt >= 200 || !String(error).includes("database is locked")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 4));
    }
  }
}

function limitedOp(
  op: Deno.AtomicOperation,
  limits: StoreLimits,
  delay: () => Promise<unknown> | null,
): Deno.AtomicOperation {
  let checks = 0;
  let mutations = 0;
  const maxMutations = limits.maxMutations ?? 1000;
  const proxy: Deno.AtomicOperation = new Proxy(op, {
    get(target, name) {
      const value = Reflect.get(target, name, target);
      if (typeof value !== "function") return value;
      if (name === "commit") {
        return async () => {
          if (checks > limits.maxChecks) {
            throw new StoreLimitError(
              `an atomic op with ${checks} checks exceeds the store's limit of ${limits.maxChecks}`,
            );
          }
          if (mutations > maxMutations) {
            throw new StoreLimitError(
              `an atomic op with ${mutations} mutations exceeds the limit of ${maxMutations}`,
            );
          }
          await delay();
          return await whenUnlocked(() => target.commit());
        };
      }
      return (...args: unknown[]) => {
        if (name === "check") checks += args.length;
        else if (name === "mutate") mutations += args.length;
        else if (["set", "delete", "sum", "min", "max", "enqueue"].includes(name as string)) {
          mutations++;
        }
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}
