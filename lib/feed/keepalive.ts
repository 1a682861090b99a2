/**
 * One timer for the keep-alives of every event stream of a process, instead of one interval per
 * stream (10,000 idle streams were 10,000 timers). Streams stay spread over the period as they
 * were with their own timers: a stream joins the phase that is current when it opens and is
 * called once every period from then on, so the store reads of the keep-alive's credential check
 * do not all come in the same instant.
 */

/** How many phases a period is cut into (one timer tick each). */
const PHASES = 10;

/** A member's call and its phase. */
interface Member {
  readonly call: () => void;
  readonly phase: number;
}

/** The clock of one period; its timer runs only while it has members. */
export class KeepAliveClock {
  readonly #periodMs: number;
  readonly #phases: Set<Member>[] = Array.from({ length: PHASES }, () => new Set());
  #size = 0;
  #current = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(periodMs: number) {
    this.#periodMs = periodMs;
  }

  /** Members now (tests). */
  get size(): number {
    return this.#size;
  }

  /**
   * Calls `call` every period, the first time at most one period from now; returns the function
   * that stops it (calling it again does nothing).
   */
  add(call: () => void): () => void {
    const member: Member = { call, phase: this.#current };
    this.#phases[member.phase].add(member);
    this.#size++;
    if (this.#timer === undefined) this.#start();
    return () => {
      if (!this.#phases[member.phase].delete(member)) return;
      if (--this.#size === 0) this.#stop();
    };
  }

  #start(): void {
    // Joining phase `current` and firing it when its tick comes round again: each tick first
    // moves on, so a new member waits between nine and ten ticks, never more than a period.
    this.#timer = setInterval(() => {
      this.#current = (this.#current + 1) % PHASES;
      for (const member of this.#phases[this.#current]) member.call();
    }, this.#periodMs / PHASES);
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

const clocks = new Map<number, KeepAliveClock>();

/** The process's clock for `periodMs` (one per period in use; the config sets one). */
export function keepAliveClock(periodMs: number): KeepAliveClock {
  let clock = clocks.get(periodMs);
  if (!clock) {
    clock = new KeepAliveClock(periodMs);
    clocks.set(periodMs, clock);
  }
  return clock;
}
