/**
 * Delivery to one endpoint: a `FeedSink` whose cursor is the endpoint's, driven by its own
 * `FeedConsumer`. Each change the endpoint asked for is sent, one at a time in commit order,
 * until it is answered with a 2xx; a failure is retried with backoff until the retry budget is
 * spent, then the endpoint is disabled with the reason. The cursor moves with the attempts' log
 * entries in one checked commit, every few hundred milliseconds or events while things go well and
 * after every failure, so a crash re-sends at most what was sent since (at least once; the same
 * `webhook-id`). Everything an endpoint holds is one batch of changes: a slow or dead endpoint
 * waits on its own timers and never on another's.
 */
import type { WebhookSettings } from "../config.ts";
import { FeedConsumer, type FeedSink, type SinkBatch, type SinkCursor } from "../feed/consumer.ts";
import { type FeedPosition, readFeedEpoch } from "../feed/feed.ts";
import { newId } from "../kv/ids.ts";
import {
  webhookCursorKey,
  webhookDeliveryKey,
  webhookKey,
  webhooksVersionKey,
} from "../kv/keys.ts";
import { attemptDelivery, type AttemptResult, type Signer, signerFor } from "./attempt.ts";
import { budgetSpent, retryDelay } from "./backoff.ts";
import {
  positionBefore,
  type StoredDelivery,
  type WebhookCursor,
  type WebhookEndpoint,
} from "./endpoints.ts";
import { eventOf, messageIdOf } from "./events.ts";
import { Lease } from "./lease.ts";

/** Delivery to this endpoint stops here (deleted, disabled, lease lost, process stopping). */
class Stopped extends Error {}
/** The cursor moved under us (a replay, another process): read it again. */
class CursorMoved extends Error {}

/** A flush after this many attempts or this long, whichever first, while deliveries succeed. */
const FLUSH_ATTEMPTS = 100;
const FLUSH_MS = 250;
/** After an import, events committed this long before the cursor last moved are sent again. */
const IMPORT_MARGIN_MS = 60_000;

/** Options of a runner. */
export interface RunnerOptions {
  settings: WebhookSettings;
  retentionMs: number;
  /** This process's lease owner id. */
  owner: string;
  /** Called after each attempt (for tests and metrics). */
  onAttempt?: (endpoint: WebhookEndpoint, result: AttemptResult) => void;
}

/** Delivers to one endpoint while this process holds its lease. */
export class EndpointRunner implements FeedSink {
  readonly name: string;
  #kv: Deno.Kv;
  #endpoint: WebhookEndpoint;
  #signer: Signer;
  #options: RunnerOptions;
  #consumer: FeedConsumer;
  #lease: Lease;
  #stop = new AbortController();
  #wake = new AbortController();
  #running: Promise<void> | null = null;
  #again = false;

  constructor(kv: Deno.Kv, endpoint: WebhookEndpoint, options: RunnerOptions) {
    this.name = `webhook ${endpoint.id}`;
    this.#kv = kv;
    this.#endpoint = endpoint;
    this.#signer = signerFor(endpoint.secret);
    this.#options = options;
    this.#consumer = new FeedConsumer(kv, this, {
      retentionMs: options.retentionMs,
      batchChanges: options.settings.batchChanges,
    });
    this.#lease = new Lease(kv, endpoint.id, {
      owner: options.owner,
      leaseMs: options.settings.leaseMs,
    });
  }

  /** The endpoint as last read. */
  get endpoint(): WebhookEndpoint {
    return this.#endpoint;
  }

  /**
   * Takes the endpoint's record as read now (events, enabled); with `wake`, a retry waiting for
   * its turn goes at once (the endpoint was changed or replayed).
   */
  update(endpoint: WebhookEndpoint, options: { wake?: boolean } = {}): void {
    this.#endpoint = endpoint;
    if (!options.wake) return;
    this.#wake.abort();
    this.#wake = new AbortController();
  }

  /** Delivers what is new, now or right after the run under way. */
  poke(): void {
    if (this.#stop.signal.aborted) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = null;
    });
  }

  /** Stops delivering (an attempt under way is abandoned) and lets go of the lease. */
  async stop(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#wake.abort();
    this.#consumer.close();
    await this.#running?.catch(() => {});
    await this.#lease.release().catch(() => {});
  }

  async #run(): Promise<void> {
    do {
      this.#again = false;
      try {
        if (!this.#endpoint.enabled || !(await this.#lease.hold())) return;
        await this.#consumer.sync(this.#endpoint.locationId);
      } catch (error) {
        if (error instanceof Stopped || this.#stop.signal.aborted) return;
        console.error(`${this.name}: delivery failed, will retry`, error);
        await this.#sleep(this.#options.settings.retryBaseMs).catch(() => {});
        this.#again = true;
      }
    } while (this.#again && !this.#stop.signal.aborted);
  }

  // FeedSink

  async readCursor(): Promise<SinkCursor> {
    let entry = await this.#kv.get<WebhookCursor>(webhookCursorKey(this.#endpoint.id));
    if (!entry.value) throw new Stopped("deleted");
    const position = entry.value.position;
    const epoch = position ? await readFeedEpoch(this.#kv) : "";
    if (position && (position.epoch ?? "") !== epoch) {
      // The store was imported since: the cursor is a place in another store's feed. Rather than
      // the whole feed again (the consumer's way), go on from the entries committed since the
      // cursor last moved, less a minute: what was in flight may come again (orders keep their
      // `webhook-id`s across an import).
      const from = await positionBefore(
        this.#kv,
        this.#endpoint.locationId,
        entry.value.at - IMPORT_MARGIN_MS,
      );
      const moved: WebhookCursor = {
        ...entry.value,
        position: from ? { ...from, ...epochPart(epoch) } : null,
        at: Date.now(),
      };
      const result = await this.#kv.atomic().check(entry).set(entry.key, moved).commit();
      if (!result.ok) return await this.readCursor();
      entry = { key: entry.key, value: moved, versionstamp: result.versionstamp };
    }
    return { position: entry.value.position, at: entry.value.at, check: entry };
  }

  /** Events that expired unread cannot be sent any more: nothing to bring up to date. */
  repair(): Promise<void> {
    console.warn(`${this.name}: its cursor is older than the feed; expired events are not sent`);
    return Promise.resolve();
  }

  async apply(_locationId: string, batch: SinkBatch): Promise<boolean> {
    const read = batch.read.check as Deno.KvEntry<WebhookCursor>;
    const state = { entry: read, cursor: { ...read.value } };
    const logs: StoredDelivery[] = [];
    let flushedAt = Date.now();
    const epoch = batch.next?.epoch;
    const flush = async (position: FeedPosition | null) => {
      const cursor: WebhookCursor = { ...state.cursor, position, at: Date.now() };
      const op = this.#kv.atomic().check(state.entry).set(state.entry.key, cursor);
      for (const log of logs) {
        op.set(webhookDeliveryKey(this.#endpoint.id, log.id), log, {
          expireIn: this.#options.settings.logRetentionMs,
        });
      }
      const result = await op.commit();
      if (!result.ok) throw new CursorMoved();
      logs.length = 0;
      flushedAt = Date.now();
      state.entry = { key: state.entry.key, value: cursor, versionstamp: result.versionstamp };
      state.cursor = cursor;
    };
    let position = read.value.position;
    try {
      for (const change of batch.changes) {
        const here = {
          versionstamp: change.versionstamp,
          index: change.index,
          ...epochPart(epoch),
        };
        const event = eventOf(change, this.#endpoint.locationId, new Date().toISOString());
        if (!event || !this.#endpoint.events.includes(event.type)) {
          position = here;
          continue;
        }
        const message = { id: messageIdOf(change, epoch), body: JSON.stringify(event) };
        for (;;) {
          await this.#ready();
          const result = await attemptDelivery(this.#endpoint.url, this.#signer, message, {
            timeoutMs: this.#options.settings.timeoutMs,
            allowPrivate: this.#options.settings.allowPrivate,
            signal: this.#stop.signal,
          });
          if (this.#stop.signal.aborted) throw new Stopped("stopping");
          this.#options.onAttempt?.(this.#endpoint, result);
          logs.push(this.#logOf(result, message.id, event.type, state.cursor.failures + 1));
          if (result.ok) {
            state.cursor = { ...state.cursor, failingSince: null, failures: 0 };
            position = here;
            if (logs.length >= FLUSH_ATTEMPTS || Date.now() - flushedAt >= FLUSH_MS) {
              await flush(position);
            }
            break;
          }
          const failingSince = state.cursor.failingSince ?? result.startedAt;
          state.cursor = { ...state.cursor, failingSince, failures: state.cursor.failures + 1 };
          const elapsed = Date.now() - failingSince;
          if (budgetSpent(elapsed, this.#options.settings)) {
            await flush(position);
            await this.#disable(result, failingSince);
            throw new Stopped("disabled");
          }
          await flush(position);
          await this.#sleep(
            retryDelay(state.cursor.failures, elapsed, this.#options.settings, Math.random()),
          );
        }
      }
      await flush(batch.next ?? position);
      return true;
    } catch (error) {
      if (error instanceof CursorMoved) return false;
      if (logs.length > 0 && !(error instanceof Stopped && String(error.message) === "disabled")) {
        // Keep the log of what was tried, and the progress made, when we can.
        await flush(position).catch(() => {});
      }
      throw error;
    }
  }

  /** Throws `Stopped` unless this process may still deliver to the endpoint. */
  async #ready(): Promise<void> {
    if (this.#stop.signal.aborted) throw new Stopped("stopping");
    if (!this.#endpoint.enabled) throw new Stopped("disabled");
    if (!(await this.#lease.hold())) throw new Stopped("lease lost");
  }

  /** Waits `ms`, holding the lease meanwhile; ends early when stopped or woken by an update. */
  async #sleep(ms: number): Promise<void> {
    const end = Date.now() + ms;
    const wake = this.#wake.signal;
    while (Date.now() < end && !this.#stop.signal.aborted && !wake.aborted) {
      const step = Math.min(end - Date.now(), this.#options.settings.leaseMs / 3);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, step);
        function done() {
          clearTimeout(timer);
          wake.removeEventListener("abort", done);
          resolve();
        }
        wake.addEventListener("abort", done, { once: true });
      });
      if (!(await this.#lease.hold())) throw new Stopped("lease lost");
    }
  }

  #logOf(result: AttemptResult, messageId: string, type: StoredDelivery["type"], attempt: number) {
    return {
      id: newId(),
      at: new Date(result.startedAt).toISOString(),
      messageId,
      type,
      attempt,
      status: result.status,
      error: result.error,
      durationMs: result.durationMs,
      ok: result.ok,
      expiresAt: Date.now() + this.#options.settings.logRetentionMs,
    } satisfies StoredDelivery;
  }

  /** Disables the endpoint, saying why, unless it changed meanwhile. */
  async #disable(last: AttemptResult, failingSince: number): Promise<void> {
    const key = webhookKey(this.#endpoint.locationId, this.#endpoint.id);
    const entry = await this.#kv.get<WebhookEndpoint>(key);
    if (!entry.value) return;
    const what = last.error ?? `HTTP ${last.status}`;
    const reason = `Every attempt failed since ${new Date(failingSince).toISOString()} ` +
      `(the retry budget is ${Math.round(this.#options.settings.retryBudgetMs / 1000)} s); ` +
      `the last: ${what}.`;
    const now = new Date().toISOString();
    const disabled: WebhookEndpoint = {
      ...entry.value,
      enabled: false,
      disabledAt: now,
      disabledReason: reason,
      updatedAt: now,
    };
    await this.#kv.atomic().check(entry).set(key, disabled).set(
      webhooksVersionKey(),
      this.#endpoint.id,
    ).commit();
    this.#endpoint = disabled;
  }
}

function epochPart(epoch: string | undefined): { epoch?: string } {
  return epoch ? { epoch } : {};
}
