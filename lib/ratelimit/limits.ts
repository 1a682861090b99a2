/**
 * The service's rate limits, one `RateLimiter` per rule of `Config.rateLimits`, and the one way
 * every endpoint applies them: `take` (or `check` then `take`) throws 429 `rate_limited` with
 * `Retry-After`. Orders, refused credentials, service requests and sign-in all go through here.
 * In memory, per process: nothing on the hot path waits for the store (see the README for many
 * instances).
 */
import type { RateLimits } from "../config.ts";
import { rateLimited } from "../errors.ts";
import { RateLimiter } from "./limiter.ts";

/** The name of one limit. */
export type LimitName = keyof RateLimits;

const MESSAGES: Record<LimitName, string> = {
  ordersPerTable: "This table is placing orders too quickly; wait a moment and try again.",
  ordersPerAddress: "Too many orders from this network; wait a moment and try again.",
  failedAuthPerAddress: "Too many refused credentials from this address; wait and try again.",
  serviceRequestsPerTable: "This table has just asked; staff are on their way.",
  signInPerAddress: "Too many sign-in attempts from this address; wait and try again.",
};

/** Every limit of the process; with no rules (`SEATSERVE_RATE_LIMIT=off`) nothing is limited. */
export class Limits {
  readonly #limiters: Partial<Record<LimitName, RateLimiter>> = {};

  constructor(rules: RateLimits | null, options: { now?: () => number } = {}) {
    if (!rules) return;
    for (const name of Object.keys(rules) as LimitName[]) {
      this.#limiters[name] = new RateLimiter(rules[name], options);
    }
  }

  /** Whether limits are on at all. */
  get enabled(): boolean {
    return Object.keys(this.#limiters).length > 0;
  }

  /** Takes one request of `key` under the limit `name`; over it, throws 429 `rate_limited`. */
  take(name: LimitName, key: string): void {
    const decision = this.#limiters[name]?.take(key);
    if (decision && !decision.ok) throw rateLimited(MESSAGES[name], decision.retryAfterSeconds);
  }

  /** Throws 429 if `key` is over the limit `name` now, without taking anything. */
  check(name: LimitName, key: string): void {
    const decision = this.#limiters[name]?.peek(key);
    if (decision && !decision.ok) throw rateLimited(MESSAGES[name], decision.retryAfterSeconds);
  }

  /** Whether `key` is over the limit `name` now (what `check` would refuse). */
  isOver(name: LimitName, key: string): boolean {
    const decision = this.#limiters[name]?.peek(key);
    return decision !== undefined && !decision.ok;
  }

  /**
   * Takes one request under several limits at once, or none: checked first, so a request refused
   * by one limit (a flooding table) spends nothing of another (its address's allowance).
   */
  takeAll(limits: readonly [LimitName, string][]): void {
    for (const [name, key] of limits) this.check(name, key);
    for (const [name, key] of limits) this.take(name, key);
  }

  /** Counts one refused credential of `address`, without refusing this request for it. */
  countFailure(name: LimitName, key: string): void {
    this.#limiters[name]?.take(key);
  }
}
