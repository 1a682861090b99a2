/**
 * The server's secrets, kept in the store so every process of a deployment shares them: the
 * bootstrap token's hash (the signing keys are `signing_keys.ts`'s).
 */
import type { Config } from "../config.ts";
import { randomToken, sha256Hex } from "../kv/ids.ts";
import { secretKey } from "../kv/keys.ts";

/** Loaded secrets. */
export interface Secrets {
  /** SHA-256 hex of the bootstrap owner token. */
  bootstrapTokenHash: string;
  /** The bootstrap token, only when this start generated it (to print it once). */
  generatedBootstrapToken: string | null;
}

/** Reads the secrets, creating them on first start (atomically, so concurrent starts agree). */
export async function loadSecrets(kv: Deno.Kv, config: Config): Promise<Secrets> {
  if (config.bootstrapToken) {
    return {
      bootstrapTokenHash: sha256Hex(config.bootstrapToken),
      generatedBootstrapToken: null,
    };
  }
  const fresh = `ss_owner_${randomToken(24)}`;
  const freshHash = sha256Hex(fresh);
  const stored = await getOrCreate(kv, secretKey("bootstrap_token_hash"), () => freshHash);
  return {
    bootstrapTokenHash: stored,
    generatedBootstrapToken: stored === freshHash ? fresh : null,
  };
}

async function getOrCreate<T>(kv: Deno.Kv, key: Deno.KvKey, make: () => T): Promise<T> {
  for (;;) {
    const entry = await kv.get<T>(key);
    if (entry.value !== null) return entry.value;
    const value = make();
    const result = await kv.atomic().check({ key, versionstamp: null }).set(key, value).commit();
    if (result.ok) return value;
  }
}
