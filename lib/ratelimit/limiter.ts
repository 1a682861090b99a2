/**
 * Rate limits as token buckets, in memory, one map per limit. A bucket holds up to `burst`
 * tokens and refills at `perMinute`; a request takes one, and an empty bucket says how long
 * until the next token. Pure apart from the clock (passed in), so the rules are tested exactly.
 *
 * One bucket per key (a table, an address): a flooding key empties only its own bucket and never
 * limits another. Idle buckets are full again after `burst / perMinute` minutes and are dropped
 * then, so memory follows the keys active in that window, bounded by `maxKeys`.
 */

/** One limit: how many requests a key may make, sustained and in a burst. */
export interface RateRule {
  /** Sustained rate: tokens added per minute. */
  perMinute: number;
  /** Most requests at once (the bucket's size). */
  burst: number;
}

/** What `take` decided. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

const ALLOWED: RateDecision = { ok: true };

/** Token buckets for one rule, keyed by caller. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #perMs: number;
  readonly #fullAfterMs: number;
  #lastSweep = 0;

  constructor(
    readonly rule: RateRule,
    readonly options: { maxKeys?: number; now?: () => number } = {},
  ) {
    if (!(rule.perMinute > 0) || !(rule.burst >= 1)) {
      throw new Error(
        `a rate rule needs perMinute > 0 and burst >= 1, got ${JSON.stringify(rule)}`,
      );
    }
    this.#perMs = rule.perMinute / 60_000;
    this.#fullAfterMs = rule.burst / this.#perMs;
  }

  /** Takes `cost` tokens for `key` if it has them; else says when it will. */
  take(key: string, cost = 1): RateDecision {
    const now = this.#now();
    const bucket = this.#refilled(key, now);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return ALLOWED;
    }
    return { ok: false, retryAfterSeconds: Math.ceil((cost - bucket.tokens) / this.#perMs / 1000) };
  }

  /** Whether `key` could take `cost` tokens now, without taking them (for counting failures). */
  peek(key: string, cost = 1): RateDecision {
    const now = this.#now();
    const bucket = this.#buckets.get(key);
    if (!bucket) return ALLOWED;
    const tokens = Math.min(this.rule.burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    if (tokens >= cost) return ALLOWED;
    return { ok: false, retryAfterSeconds: Math.ceil((cost - tokens) / this.#perMs / 1000) };
  }

  /** How many keys are tracked (for tests and health). */
  get size(): number {
    return this.#buckets.size;
  }

  #refilled(key: string, now: number): Bucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      this.#sweep(now);
      bucket = { tokens: this.rule.burst, at: now };
      this.#buckets.set(key, bucket);
      return bucket;
    }
    bucket.tokens = Math.min(this.rule.burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    return bucket;
  }

  /** Drops buckets that are full again (they hold nothing a new bucket would not). */
  #sweep(now: number): void {
    const maxKeys = this.options.maxKeys ?? 100_000;
    if (this.#buckets.size < maxKeys && now - this.#lastSweep < this.#fullAfterMs) return;
    this.#lastSweep = now;
    for (const [key, bucket] of this.#buckets) {
      if (now - bucket.at >= this.#fullAfterMs) this.#buckets.delete(key);
    }
    // Still full of active keys: forget the oldest (Map order is insertion order), which errs
    // towards allowing, never towards limiting a key that did nothing.
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size < maxKeys) break;
      this.#buckets.delete(key);
    }
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
