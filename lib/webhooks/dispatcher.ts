/**
 * The webhook deliveries of one process: a runner per enabled endpoint of any location, one watch
 * per location's feed head poking that location's runners, and one watch on the endpoints'
 * version key so that endpoints created, changed or deleted by any process are picked up. A
 * runner delivers only while this process holds the endpoint's lease; the others try again
 * every half lease, so one takes over when its holder stops.
 */
import type { Config } from "../config.ts";
import { newId } from "../kv/ids.ts";
import { eventsHeadKey, webhooksVersionKey } from "../kv/keys.ts";
import type { AttemptResult } from "./attempt.ts";
import { listAllEndpoints, type WebhookEndpoint } from "./endpoints.ts";
import { EndpointRunner } from "./runner.ts";

/** Options of the dispatcher. */
export interface DispatcherOptions {
  /** Called after each attempt (tests, metrics). */
  onAttempt?: (endpoint: WebhookEndpoint, result: AttemptResult) => void;
}

/** Follows every endpoint's feed and delivers, in this process. */
export class WebhookDispatcher {
  #kv: Deno.Kv;
  #config: Config;
  #options: DispatcherOptions;
  #owner = `process-${newId()}`;
  #runners = new Map<string, EndpointRunner>();
  #heads = new Map<string, ReadableStream<unknown>>();
  #version: ReadableStream<unknown> | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #scan: Promise<void> | null = null;
  #rescan = false;
  #woken = new Set<string>();
  #started = false;
  #closed = false;

  constructor(kv: Deno.Kv, config: Config, options: DispatcherOptions = {}) {
    this.#kv = kv;
    this.#config = config;
    this.#options = options;
  }

  /** Starts delivering (main.ts; tests of webhooks). Idempotent. */
  start(): Promise<void> {
    if (this.#started || this.#closed) return this.#scan ?? Promise.resolve();
    this.#started = true;
    const version = this.#kv.watch([webhooksVersionKey()]);
    this.#version = version;
    (async () => {
      try {
        for await (const [entry] of version) {
          this.changed(typeof entry.value === "string" ? entry.value : undefined);
        }
      } catch {
        // The store closed.
      }
    })();
    this.#timer = setInterval(() => {
      for (const runner of this.#runners.values()) runner.poke();
    }, Math.max(100, this.#config.webhooks.leaseMs / 2));
    return this.changed();
  }

  /**
   * Re-reads the endpoints now (after a change through this process's API, or one another
   * process wrote); `endpointId` is the one that changed, whose waiting retry is cut short (a
   * replay, a re-enable).
   */
  changed(endpointId?: string): Promise<void> {
    if (!this.#started || this.#closed) return Promise.resolve();
    if (endpointId) this.#woken.add(endpointId);
    if (this.#scan) {
      this.#rescan = true;
      return this.#scan;
    }
    this.#scan = (async () => {
      do {
        this.#rescan = false;
        await this.#apply(await listAllEndpoints(this.#kv));
      } while (this.#rescan && !this.#closed);
    })().catch((error) => {
      if (!this.#closed) console.error("webhooks: reading the endpoints failed", error);
    }).finally(() => {
      this.#scan = null;
    });
    return this.#scan;
  }

  /** The endpoints this process runs (for tests). */
  get running(): string[] {
    return [...this.#runners.keys()];
  }

  /** Stops every runner and watch; lets go of the leases. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#version?.cancel().catch(() => {});
    for (const head of this.#heads.values()) head.cancel().catch(() => {});
    this.#heads.clear();
    const runners = [...this.#runners.values()];
    this.#runners.clear();
    await Promise.all(runners.map((runner) => runner.stop()));
  }

  async #apply(endpoints: WebhookEndpoint[]): Promise<void> {
    if (this.#closed) return;
    const woken = new Set(this.#woken);
    this.#woken.clear();
    const live = new Map(endpoints.filter((e) => e.enabled).map((e) => [e.id, e]));
    const stopping: Promise<void>[] = [];
    for (const [id, runner] of this.#runners) {
      if (!live.has(id)) {
        this.#runners.delete(id);
        stopping.push(runner.stop());
      }
    }
    for (const endpoint of live.values()) {
      let runner = this.#runners.get(endpoint.id);
      if (runner) {
        runner.update(endpoint, { wake: woken.has(endpoint.id) });
      } else {
        runner = new EndpointRunner(this.#kv, endpoint, {
          settings: this.#config.webhooks,
          retentionMs: this.#config.eventRetentionMs,
          owner: this.#owner,
          onAttempt: this.#options.onAttempt,
        });
        this.#runners.set(endpoint.id, runner);
      }
      this.#follow(endpoint.locationId);
      runner.poke();
    }
    await Promise.all(stopping);
  }

  /** One watch per location with endpoints: each commit to its feed pokes its runners. */
  #follow(locationId: string): void {
    if (this.#heads.has(locationId)) return;
    const watch = this.#kv.watch([eventsHeadKey(locationId)]);
    this.#heads.set(locationId, watch);
    (async () => {
      try {
        for await (const _ of watch) {
          for (const runner of this.#runners.values()) {
            if (runner.endpoint.locationId === locationId) runner.poke();
          }
        }
      } catch {
        // The store closed.
      }
    })();
  }
}
