/**
 * The HTTP server's life (self-hosted: signals and listeners are one process's): serving that
 * survives running out of file descriptors, and a graceful drain.
 *
 * Out of descriptors, `Deno.serve`'s accept fails ("Too many open files"), its `finished`
 * rejects and it stops listening (shared/DESIGN.md). Here that is logged and the listener is
 * opened again after a pause, until it works: connections already held keep being served, and
 * new ones are accepted again as soon as descriptors are freed.
 *
 * Draining: stop accepting, let every request already running finish and be answered (a
 * request that starts meanwhile on a kept-alive connection gets 503 from `refuseWhileDraining`),
 * within a deadline; then the caller closes the services and the process exits.
 */

/** How `serveResilient` serves. */
export interface ServeOptions {
  port: number;
  hostname: string;
  /** Called once, when the first listener is up, with its port. */
  onListen?: (port: number) => void;
  /** Where problems go (stderr by default). */
  log?: (message: string) => void;
  /** The pause before listening again after accept failed. */
  retryMs?: number;
}

/** A server that keeps listening; `drain` stops it. */
export interface ResilientServer {
  /** The port it listens on. */
  readonly port: Promise<number>;
  /** How often the listener had to be opened again (after accept failed). */
  readonly restarts: number;
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
  let current: Deno.HttpServer<Deno.NetAddr> | null = null;
  let draining = false;
  let restarts = 0;
  let resolvePort!: (port: number) => void;
  const port = new Promise<number>((resolve) => resolvePort = resolve);
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  let listenPort = options.port;
  let announced = false;

  const listen = () => {
    if (draining) return;
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        port: listenPort,
        hostname: options.hostname,
        onListen: ({ port }) => {
          listenPort = port;
          resolvePort(port);
          if (!announced) {
            announced = true;
            options.onListen?.(port);
          }
        },
      }, handler);
    } catch (error) {
      // No descriptor even for the listening socket (or the port is briefly taken): try again.
      log(`server: cannot listen (${describe(error)}); retrying in ${retryMs} ms`);
      setTimeout(listen, retryMs);
      return;
    }
    current = server;
    server.finished.then(
      () => {
        if (draining) resolveFinished();
        else reopen("the listener stopped");
      },
      (error) => {
        if (draining) resolveFinished();
        else reopen(describe(error));
      },
    );
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

  listen();
  return {
    port,
    get restarts() {
      return restarts;
    },
    finished,
    async drain(deadlineMs: number): Promise<boolean> {
      draining = true;
      const server = current;
      if (!server) {
        resolveFinished();
        return true;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const inTime = await Promise.race([
        server.shutdown().then(() => true, () => true),
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
