/**
 * The lease on an endpoint: one process at a time delivers to it. A process holds the lease
 * until a time it renews well before then; another takes it over only once it has run out. The
 * cursor's checked writes catch a holder that stalled past its lease (its next write fails).
 */
import { webhookLeaseKey } from "../kv/keys.ts";

interface LeaseRecord {
  owner: string;
  until: number;
}

/** A lease as held by this process. */
export class Lease {
  #kv: Deno.Kv;
  #key: Deno.KvKey;
  #owner: string;
  #ms: number;
  #until = 0;

  constructor(kv: Deno.Kv, endpointId: string, options: { owner: string; leaseMs: number }) {
    this.#kv = kv;
    this.#key = webhookLeaseKey(endpointId);
    this.#owner = options.owner;
    this.#ms = options.leaseMs;
  }

  /** Whether this process holds the lease now, without asking the store. */
  get held(): boolean {
    return Date.now() < this.#until;
  }

  /**
   * Holds the lease for at least half its length from now: takes it when free or run out,
   * renews it when ours and past half. False when another process holds it.
   */
  async hold(): Promise<boolean> {
    const now = Date.now();
    if (this.#until - now > this.#ms / 2) return true;
    const entry = await this.#kv.get<LeaseRecord>(this.#key);
    const current = entry.value;
    if (current && current.owner !== this.#owner && current.until > now) {
      this.#until = 0;
      return false;
    }
    const until = now + this.#ms;
    const result = await this.#kv.atomic()
      .check(entry)
      .set(this.#key, { owner: this.#owner, until } satisfies LeaseRecord)
      .commit();
    this.#until = result.ok ? until : 0;
    return result.ok;
  }

  /** Lets go of the lease if still ours, so another process may take over at once. */
  async release(): Promise<void> {
    this.#until = 0;
    const entry = await this.#kv.get<LeaseRecord>(this.#key);
    if (entry.value?.owner !== this.#owner) return;
    await this.#kv.atomic().check(entry).delete(this.#key).commit();
  }
}
