/**
 * The keys that sign device tokens (a JWT's `kid` header) and order tokens (`<location>.<kid>.<mac>`),
 * kept in one store entry (`signingKeysKey`) that every process of a deployment shares.
 *
 * - The set lists every key in the order they were added; one is current (it signs), the others
 *   only verify until retired. A retired key keeps its id and times but loses its secret, so
 *   nothing it signed verifies again.
 * - The first key is also the key of tokens minted before keys had ids (no `kid`): on the first
 *   start with this code, the old single key (`secretKey("signing_key")`) becomes `k1`.
 * - Rotation and retirement are `deno task keys` (tasks/keys.ts), each in one atomic op with its
 *   audit entry (server scope). Retiring is refused while an open order may hold a token signed
 *   with the key, unless forced: order tokens are not stored (they are an HMAC of the order id),
 *   so "may hold" is decided by time: the order was created while the key was current, give or
 *   take `HANDOVER_MS` (processes learn of a rotation within `REFRESH_MS`).
 * - `SigningKeys` is a process's copy in memory: signing and verifying read no store. It re-reads
 *   the entry every `REFRESH_MS` (a `kv.watch` on a local file does not see other processes'
 *   writes) and at once, at most once a second, when a token names a key id it does not know.
 */
import { conflict, notFound } from "../errors.ts";
import { secretKey, signingKeysKey } from "../kv/keys.ts";
import {
  addAuditEntry,
  AUDIT_SERVER_SCOPE,
  type AuditContext,
  newAuditEntry,
} from "../audit/entry.ts";
import { listLocations } from "../catalog/locations.ts";
import { listOpenOrders } from "../orders/store.ts";

/** One signing key. */
export interface SigningKey {
  /** Its id, `k1`, `k2`…, in a token's `kid`. */
  kid: string;
  /** 32 random bytes; null once retired. */
  secret: Uint8Array | null;
  createdAt: string;
  /** When it became current; null for the first key of a store that had tokens before ids. */
  currentFrom: string | null;
  /** When a newer key became current (it stopped signing then); null while it is current. */
  currentUntil: string | null;
  retiredAt: string | null;
}

/** The stored set. */
export interface SigningKeySet {
  /** The key that signs. */
  current: string;
  /** Every key, oldest first; `keys[0]` verifies tokens without a `kid`. */
  keys: SigningKey[];
}

/** How often a process re-reads the set (a retirement applies everywhere within this). */
export const REFRESH_MS = 2_000;
/**
 * How long around a rotation an order's token may have been signed by either key: a process
 * signs with the old key until it re-reads the set, and clocks of processes differ a little.
 */
export const HANDOVER_MS = 60_000;

/** The set, created on first start (from the old single key when there is one). */
export async function readSigningKeys(kv: Deno.Kv): Promise<Deno.KvEntry<SigningKeySet>> {
  for (;;) {
    const entry = await kv.get<SigningKeySet>(signingKeysKey());
    if (entry.value !== null) return entry as Deno.KvEntry<SigningKeySet>;
    const legacy = await kv.get<Uint8Array>(secretKey("signing_key"));
    const now = new Date().toISOString();
    const set: SigningKeySet = {
      current: "k1",
      keys: [{
        kid: "k1",
        secret: legacy.value ?? crypto.getRandomValues(new Uint8Array(32)),
        createdAt: now,
        currentFrom: legacy.value ? null : now,
        currentUntil: null,
        retiredAt: null,
      }],
    };
    // Concurrent starts agree: one creates the set, the others read it.
    await kv.atomic().check({ key: signingKeysKey(), versionstamp: null }).check(legacy)
      .set(signingKeysKey(), set).delete(secretKey("signing_key")).commit();
  }
}

/** What a rotation did. */
export interface Rotation {
  previous: string;
  current: string;
}

/** Adds a new key and makes it current; the previous one keeps verifying. Audited. */
export async function rotateSigningKey(kv: Deno.Kv, context: AuditContext): Promise<Rotation> {
  for (;;) {
    const entry = await readSigningKeys(kv);
    const set = entry.value;
    const now = new Date().toISOString();
    const kid = `k${Math.max(...set.keys.map((k) => Number(k.kid.slice(1)))) + 1}`;
    const next: SigningKeySet = {
      current: kid,
      keys: [
        ...set.keys.map((k) => k.kid === set.current ? { ...k, currentUntil: now } : k),
        {
          kid,
          secret: crypto.getRandomValues(new Uint8Array(32)),
          createdAt: now,
          currentFrom: now,
          currentUntil: null,
          retiredAt: null,
        },
      ],
    };
    const op = kv.atomic().check(entry).set(signingKeysKey(), next);
    addAuditEntry(
      op,
      newAuditEntry(context, AUDIT_SERVER_SCOPE, {
        action: "signing_key.rotate",
        target: { type: "signing_key", id: kid },
        before: { current: set.current },
        after: { current: kid, verifying: verifying(next) },
      }),
    );
    if ((await op.commit()).ok) return { previous: set.current, current: kid };
  }
}

/** An open order that may hold a token of a key being retired. */
export interface HeldBy {
  locationId: string;
  orderId: string;
  status: string;
  createdAt: string;
}

/** What a retirement did. */
export interface Retirement {
  kid: string;
  /** The open orders whose tokens stopped working (only with `force`). */
  heldBy: HeldBy[];
}

/**
 * Retires `kid`: its secret is dropped, so the device and order tokens it signed are refused
 * from then on. Refused (409 `signing_key_in_use`) while an open order may hold a token signed
 * with it, unless `force`; the current key cannot be retired (rotate first). Audited.
 */
export async function retireSigningKey(
  kv: Deno.Kv,
  kid: string,
  options: { force: boolean; context: AuditContext },
): Promise<Retirement> {
  for (;;) {
    const entry = await readSigningKeys(kv);
    const set = entry.value;
    const key = set.keys.find((k) => k.kid === kid);
    if (!key) throw notFound(`Signing key "${kid}"`);
    if (key.retiredAt) {
      throw conflict("signing_key_retired", `Signing key ${kid} was retired at ${key.retiredAt}.`);
    }
    if (kid === set.current) {
      throw conflict(
        "signing_key_current",
        `Signing key ${kid} is the current key: rotate first (deno task keys:rotate), then ` +
          "retire it.",
      );
    }
    const heldBy = await openOrdersSignedBy(kv, key);
    if (heldBy.length > 0 && !options.force) {
      const some = heldBy.slice(0, 5).map((o) => `${o.orderId} (${o.status})`).join(", ");
      throw conflict(
        "signing_key_in_use",
        `Signing key ${kid} may still sign the order token of ${heldBy.length} open ` +
          `order${heldBy.length === 1 ? "" : "s"}: ${some}${heldBy.length > 5 ? ", …" : ""}. ` +
          "Retire it once they are closed or cancelled, or with --force (their guests' order " +
          "tokens stop working).",
      );
    }
    const now = new Date().toISOString();
    const next: SigningKeySet = {
      ...set,
      keys: set.keys.map((k) => k.kid === kid ? { ...k, secret: null, retiredAt: now } : k),
    };
    const op = kv.atomic().check(entry).set(signingKeysKey(), next);
    addAuditEntry(
      op,
      newAuditEntry(options.context, AUDIT_SERVER_SCOPE, {
        action: "signing_key.retire",
        target: { type: "signing_key", id: kid },
        before: { verifying: verifying(set) },
        after: {
          verifying: verifying(next),
          forced: options.force,
          openOrders: heldBy.length,
        },
      }),
    );
    if ((await op.commit()).ok) return { kid, heldBy };
  }
}

/** The open orders, in every location, created while `key` was current (give or take the handover). */
async function openOrdersSignedBy(kv: Deno.Kv, key: SigningKey): Promise<HeldBy[]> {
  const from = key.currentFrom ? Date.parse(key.currentFrom) - HANDOVER_MS : -Infinity;
  const until = key.currentUntil ? Date.parse(key.currentUntil) + HANDOVER_MS : Infinity;
  const held: HeldBy[] = [];
  for (const location of await listLocations(kv)) {
    for (const order of await listOpenOrders(kv, location.id)) {
      const at = Date.parse(order.createdAt);
      if (at >= from && at <= until) {
        held.push({
          locationId: location.id,
          orderId: order.id,
          status: order.status,
          createdAt: order.createdAt,
        });
      }
    }
  }
  return held;
}

/** The ids of the keys that still verify. */
function verifying(set: SigningKeySet): string[] {
  return set.keys.filter((k) => k.secret).map((k) => k.kid);
}

/** A key that signs or verifies: its id and secret. */
export interface LiveKey {
  kid: string;
  secret: Uint8Array;
}

/** A process's copy of the set: signing and verifying without a store read. */
export class SigningKeys {
  #kv: Deno.Kv;
  #set: SigningKeySet;
  #versionstamp: string;
  #byKid = new Map<string, LiveKey>();
  #current!: LiveKey;
  #first: LiveKey | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastForced = 0;
  #refreshing: Promise<void> | null = null;

  private constructor(kv: Deno.Kv, entry: Deno.KvEntry<SigningKeySet>) {
    this.#kv = kv;
    this.#set = entry.value;
    this.#versionstamp = entry.versionstamp;
    this.#index();
  }

  /** Loads the set (creating it on first start) and keeps it fresh every `refreshMs`. */
  static async open(kv: Deno.Kv, options: { refreshMs?: number } = {}): Promise<SigningKeys> {
    const keys = new SigningKeys(kv, await readSigningKeys(kv));
    const refreshMs = options.refreshMs ?? REFRESH_MS;
    const timer = setInterval(() => keys.refresh().catch(() => {}), refreshMs);
    Deno.unrefTimer(timer as unknown as number);
    keys.#timer = timer;
    return keys;
  }

  /** The key that signs now. */
  get current(): LiveKey {
    return this.#current;
  }

  /** The key with id `kid` if it still verifies; `undefined` kid: the first key (tokens without one). */
  verifying(kid: string | undefined): LiveKey | null {
    if (kid === undefined) return this.#first;
    return this.#byKid.get(kid) ?? null;
  }

  /**
   * The key `kid`, re-reading the set first when it is not known here (another process may have
   * just rotated): at most once a second, so unknown ids cannot make every request read.
   */
  async verifyingFresh(kid: string | undefined): Promise<LiveKey | null> {
    const known = this.verifying(kid);
    if (known || kid === undefined || !this.#mayBeNewer(kid)) return known;
    if (Date.now() - this.#lastForced >= 1000) {
      this.#lastForced = Date.now();
      await this.refresh();
    } else if (this.#refreshing) {
      await this.#refreshing;
    }
    return this.verifying(kid);
  }

  /** Re-reads the set (one store read; the index is rebuilt only when it changed). */
  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const entry = await this.#kv.get<SigningKeySet>(signingKeysKey());
        if (entry.value && entry.versionstamp !== this.#versionstamp) {
          this.#set = entry.value;
          this.#versionstamp = entry.versionstamp;
          this.#index();
        }
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  /** Stops refreshing. */
  close(): void {
    clearInterval(this.#timer);
  }

  /** An id past the newest one known here could be a key added since the last read. */
  #mayBeNewer(kid: string): boolean {
    const n = /^k(\d{1,6})$/.exec(kid)?.[1];
    return n !== undefined && Number(n) > this.#set.keys.length;
  }

  #index(): void {
    this.#byKid.clear();
    for (const key of this.#set.keys) {
      if (key.secret) this.#byKid.set(key.kid, { kid: key.kid, secret: key.secret });
    }
    this.#first = this.#byKid.get(this.#set.keys[0].kid) ?? null;
    this.#current = this.#byKid.get(this.#set.current)!;
  }
}
