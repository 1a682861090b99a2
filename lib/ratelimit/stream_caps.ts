/**
 * Caps on event streams held open at once, per key (an order token, a staff credential, a
 * client address): each stream is a connection and a subscription held for hours, so one caller
 * must not hold thousands. Counted in memory per process; a stream's slot is given back when it
 * ends, however it ends.
 */
import type { StreamCaps } from "../config.ts";
import { AppError } from "../errors.ts";

/** What one stream holds: call `release` once when it ends (more calls do nothing). */
export interface StreamSlot {
  release(): void;
}

/** The kinds of key a stream is counted under. */
export type StreamKey = "order" | "staff" | "address";

/** Counts open streams per key and refuses one over its cap. */
export class StreamCounter {
  readonly #caps: Record<StreamKey, number>;
  readonly #open = new Map<string, number>();
  #released = 0;

  constructor(caps: StreamCaps) {
    this.#caps = { order: caps.perOrder, staff: caps.perStaff, address: caps.perAddress };
  }

  /** Streams open now under `kind`/`key` (for tests and health). */
  count(kind: StreamKey, key: string): number {
    return this.#open.get(`${kind}:${key}`) ?? 0;
  }

  /** How many streams have ended since the counter was made (memory is trimmed after many). */
  get released(): number {
    return this.#released;
  }

  /**
   * Opens a stream counted under every key given, or throws 429 `too_many_streams` (and counts
   * nothing) when one of them is at its cap.
   */
  open(keys: readonly [StreamKey, string][]): StreamSlot {
    for (const [kind, key] of keys) {
      if (this.count(kind, key) >= this.#caps[kind]) {
        throw new AppError(
          "rate_limited",
          "too_many_streams",
          `Too many event streams are open for this ${
            kind === "order" ? "order" : kind === "staff" ? "credential" : "address"
          } (at most ${this.#caps[kind]}); close one first.`,
          { retryAfterSeconds: 5 },
        );
      }
    }
    const names = keys.map(([kind, key]) => `${kind}:${key}`);
    for (const name of names) this.#open.set(name, (this.#open.get(name) ?? 0) + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#released++;
        for (const name of names) {
          const left = (this.#open.get(name) ?? 1) - 1;
          if (left > 0) this.#open.set(name, left);
          else this.#open.delete(name);
        }
      },
    };
  }
}
