/**
 * The HTTP server's life (self-hosted: signals and listeners are one process's): serving that
 * survives running out of file descriptors, and a graceful drain.
 *
 * Out of descriptors, `Deno.serve`'s accept fails ("Too many open files"), its `finished`
 * rejects and it stops listening (shared/DESIGN.md). Here that is logged and the listener is
 * opened again after a pause, until it works: connections already held keep being served, and
 * new ones are accepted again as soon as descriptors are freed.
 *
 * HTTPS (`tls`): the listener serves the certificate and key it was given, HTTP/2 to clients that
 * offer it in ALPN (Deno.serve offers h2 and http/1.1). `reloadTls` reads the files again and,
 * when they changed and load, starts a second listener on the same port (`SO_REUSEPORT`, so
 * there is no moment without one) with the new pair and then shuts the old one down gracefully:
 * new connections get the new certificate, connections already open (event streams, kept-alive
 * ones with a request running) are served to their end by the old listener. A pair that does not
 * load is logged and the old one kept. `reusePort` is Linux's (and needs `--unstable-net`, set
 * in deno.json); so that a second process cannot silently share the port with it, the first
 * listen checks that the port is free without it.
 *
 * Draining: stop accepting, let every request already running finish and be answered (a
 * request that starts meanwhile on a kept-alive connection gets 503 from `refuseWhileDraining`),
 * within a deadline; then the caller closes the services and the process exits.
 */

import type { TlsFiles } from "../config.ts";
import { certificateFingerprint, readTlsPair, type TlsPair } from "./tls.ts";

/** How `serveResilient` serves. */
export interface ServeOptions {
  port: number;
  hostname: string;
  /** Serve HTTPS with this pair, re-read from `files` by `reloadTls`. */
  tls?: { files: TlsFiles; pair: TlsPair };
  /** Called once, when the first listener is up, with its port. */
  onListen?: (port: number) => void;
  /** Where problems go (stderr by default). */
  log?: (message: string) => void;
  /** The pause before listening again after accept failed. */
  retryMs?: number;
}

/** What `reloadTls` did. */
export type TlsReload =
  | { outcome: "reloaded"; fingerprint: string }
  | { outcome: "unchanged"; fingerprint: string }
  | { outcome: "failed"; error: string };

/** A server that keeps listening; `drain` stops it. */
export interface ResilientServer {
  /** The port it listens on. */
  readonly port: Promise<number>;
  /** How often the listener had to be opened again (after accept failed). */
  readonly restarts: number;
  /**
   * Reads the TLS files again; when they hold a new pair that loads, new connections get it
   * from then on, open ones keep theirs. Without `tls` it does nothing ("unchanged").
   */
  reloadTls(): Promise<TlsReload>;
  /**
   * Stops accepting and waits for the requests that are running to be answered, at most
   * `deadlineMs`; resolves true when all were, false when the deadline cut some off.
   */
  drain(deadlineMs: number): Promise<boolean>;
  /** Resolves once drained. */
  readonly finished: Promise<void>;
}

/** Serves `handler`, reopening the listener whenever accepting fails, until `drain`. */
export function serveResilient(
  handler: Deno.ServeHandler<Deno.NetAddr>,
  options: ServeOptions,
): ResilientServer {
  const log = options.log ?? ((message: string) => console.error(message));
  const retryMs = options.retryMs ?? 250;
  const tls = options.tls;
  let pair = tls?.pair ?? null;
  let current: Deno.HttpServer<Deno.NetAddr> | null = null;
  // Listeners replaced by a reload, still serving the connections they hold.
  const replaced = new Set<Deno.HttpServer<Deno.NetAddr>>();
  let draining = false;
  let restarts = 0;
  let resolvePort!: (port: number) => void;
  const port = new Promise<number>((resolve) => resolvePort = resolve);
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  let listenPort = options.port;
  let announced = false;

  /** A listener on the port, with the current pair when serving https (throws when it cannot). */
  const open = (): Deno.HttpServer<Deno.NetAddr> => {
    if (pair && !announced) {
      // With SO_REUSEPORT a port another process holds the same way would be shared silently:
      // make sure it is free first (and learn the port when 0 was asked for).
      const probe = Deno.listen({ port: listenPort, hostname: options.hostname });
      listenPort = (probe.addr as Deno.NetAddr).port;
      probe.close();
    }
    return Deno.serve({
      port: listenPort,
      hostname: options.hostname,
      ...(pair ? { cert: pair.cert, key: pair.key, reusePort: true } : {}),
      onListen: ({ port }) => {
        listenPort = port;
        resolvePort(port);
        if (!announced) {
          announced = true;
          options.onListen?.(port);
        }
      },
    }, handler);
  };

  const follow = (server: Deno.HttpServer<Deno.NetAddr>) => {
    const ended = (why: string) => {
      if (replaced.delete(server)) return; // a replaced listener has served its connections
      if (draining || server !== current) return;
      reopen(why);
    };
    server.finished.then(() => ended("the listener stopped"), (error) => ended(describe(error)));
  };

  const listen = () => {
    if (draining) return;
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = open();
    } catch (error) {
      // No descriptor even for the listening socket (or the port is briefly taken): try again.
      log(`server: cannot listen (${describe(error)}); retrying in ${retryMs} ms`);
      setTimeout(listen, retryMs);
      return;
    }
    current = server;
    follow(server);
  };

  const reopen = (why: string) => {
    restarts++;
    log(
      `server: accepting connections failed (${why}); serving the connections held and ` +
        `listening again in ${retryMs} ms`,
    );
    current = null;
    setTimeout(listen, retryMs);
  };

  let reloading: Promise<unknown> = Promise.resolve();
  const reload = async (): Promise<TlsReload> => {
    if (!tls || !pair) return { outcome: "unchanged", fingerprint: "" };
    let next: TlsPair;
    try {
      next = await readTlsPair(tls.files);
    } catch (error) {
      log(`tls: keeping the certificate served: ${describe(error)}`);
      return { outcome: "failed", error: describe(error) };
    }
    const fingerprint = await certificateFingerprint(next.cert);
    if (next.cert === pair.cert && next.key === pair.key) {
      return { outcome: "unchanged", fingerprint };
    }
    if (draining) return { outcome: "failed", error: "the server is draining" };
    const previous = pair;
    pair = next;
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = open();
    } catch (error) {
      pair = previous;
      log(`tls: cannot listen with the new certificate (${describe(error)}); keeping the old one`);
      return { outcome: "failed", error: describe(error) };
    }
    const old = current;
    current = server;
    follow(server);
    if (old) {
      replaced.add(old);
      // Stops accepting at once; what it holds is served to its end (not awaited).
      old.shutdown().catch(() => {});
    }
    log(`tls: serving the new certificate (SHA-256 ${fingerprint}) on new connections`);
    return { outcome: "reloaded", fingerprint };
  };

  listen();
  return {
    port,
    get restarts() {
      return restarts;
    },
    finished,
    reloadTls(): Promise<TlsReload> {
      // One at a time: a signal and a file change may ask together.
      const run = reloading.then(reload);
      reloading = run;
      return run;
    },
    async drain(deadlineMs: number): Promise<boolean> {
      draining = true;
      const servers = [...(current ? [current] : []), ...replaced];
      if (servers.length === 0) {
        resolveFinished();
        return true;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const inTime = await Promise.race([
        Promise.all([
          current?.shutdown().catch(() => {}),
          // Already shutting down since their reload: they end with their last connection.
          ...[...replaced].map((server) => server.finished.catch(() => {})),
        ]).then(() => true),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), deadlineMs)),
      ]);
      clearTimeout(timer);
      // Past the deadline what is still open (a stalled client's stream, say) is left to the
      // process's exit: aborting a server that is shutting down throws in Deno 2.9.
      resolveFinished();
      return inTime;
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
