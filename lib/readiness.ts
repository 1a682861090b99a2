/**
 * Whether this process should be sent traffic: not while it starts, nor once it drains for
 * shutdown. `/api/health/ready` also asks the store.
 */

/** The phases of a process. */
export type Phase = "starting" | "ready" | "draining";

/** This process's phase; `main.ts` moves it on. */
export class Readiness {
  phase: Phase = "starting";

  /** Serving. */
  ready(): void {
    if (this.phase === "starting") this.phase = "ready";
  }

  /** Shutting down: orchestrators should stop sending requests. */
  drain(): void {
    this.phase = "draining";
  }
}
