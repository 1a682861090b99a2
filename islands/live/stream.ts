/**
 * The live connection of a staff screen to the kitchen stream: a `fetch` reader of the event
 * stream that keeps the last event id and, whenever the connection drops, errs, or goes quiet
 * for longer than the server's keep-alives allow, reconnects by itself with backoff, sending
 * `Last-Event-ID` so the server replays exactly what was missed. It reports whether it is
 * connected and when it last heard from the server (staleness), and whether the sign-in ended.
 */
import { type SseEvent, SseParser } from "./sse.ts";

/** What the screen is told about the connection. */
export interface LiveState {
  online: boolean;
  /** When the server was last heard (ms since the epoch): data or a keep-alive. */
  heardAt: number;
  /** The session was refused (401/403): reconnecting will not help until signed in again. */
  signedOut: boolean;
  /** Whether the first attempt is over (before that the screen is connecting, not offline). */
  connected: boolean;
}

/** How the connection behaves. */
export interface LiveOptions {
  /** The stream's URL (same origin; the session cookie goes along). */
  url: string;
  /** Resume after this id (the position the server rendered the page at), or a snapshot. */
  lastEventId: string | null;
  onEvent(event: SseEvent): void;
  onState(state: LiveState): void;
  /** Silence after which the connection is taken for dead (keep-alives come every ≤ 15 s). */
  quietMs?: number;
}

/** A running connection. */
export interface LiveConnection {
  /** Reconnects at once (the browser says it is back online, the screen woke up). */
  retryNow(): void;
  close(): void;
  /** The id the next connection resumes after. */
  readonly lastEventId: string | null;
}

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 5_000;
const SIGNED_OUT_DELAY_MS = 30_000;

/** Opens the stream and keeps it open until `close()`. */
export function connectLive(options: LiveOptions): LiveConnection {
  const quietMs = options.quietMs ?? 35_000;
  let lastEventId = options.lastEventId;
  let state: LiveState = { online: false, heardAt: Date.now(), signedOut: false, connected: false };
  let closed = false;
  let attempt: AbortController | null = null;
  let delay = FIRST_DELAY_MS;
  let wakeUp: (() => void) | null = null;

  const report = (next: Partial<LiveState>) => {
    state = { ...state, ...next };
    options.onState(state);
  };
  const heard = () => report({ heardAt: Date.now() });

  const watchdog = setInterval(() => {
    if (state.online && Date.now() - state.heardAt > quietMs) attempt?.abort();
  }, 1_000);

  async function once(): Promise<"ended" | "refused"> {
    const controller = attempt = new AbortController();
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (lastEventId) headers["last-event-id"] = lastEventId;
    const response = await fetch(options.url, {
      headers,
      signal: controller.signal,
      cache: "no-store",
      credentials: "same-origin",
    });
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      return "refused";
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      return "ended";
    }
    report({ online: true, heardAt: Date.now(), signedOut: false, connected: true });
    delay = FIRST_DELAY_MS;
    const parser = new SseParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return "ended";
        heard();
        for (const event of parser.push(value)) {
          options.onEvent(event);
          if (event.id) lastEventId = event.id;
        }
      }
    } finally {
      reader.releaseLock();
    }
  }

  async function run() {
    while (!closed) {
      let outcome: "ended" | "refused" | "failed" = "failed";
      try {
        outcome = await once();
      } catch {
        // A network error or our own abort: reconnect.
      }
      if (closed) return;
      report({ online: false, signedOut: outcome === "refused", connected: true });
      const wait = outcome === "refused" ? SIGNED_OUT_DELAY_MS : delay;
      delay = Math.min(delay * 2, MAX_DELAY_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = null;
    }
  }

  const onOnline = () => retryNow();
  // The browser knows the network is gone: the open connection is taken for dead at once.
  const onOffline = () => attempt?.abort();
  const onVisible = () => document.visibilityState === "visible" && retryNow();
  function retryNow() {
    delay = FIRST_DELAY_MS;
    if (state.online) return;
    wakeUp?.();
  }
  addEventListener("online", onOnline);
  addEventListener("offline", onOffline);
  document.addEventListener("visibilitychange", onVisible);
  run();

  return {
    retryNow,
    close() {
      closed = true;
      clearInterval(watchdog);
      removeEventListener("online", onOnline);
      removeEventListener("offline", onOffline);
      document.removeEventListener("visibilitychange", onVisible);
      attempt?.abort();
      wakeUp?.();
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
