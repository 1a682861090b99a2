/**
 * Running the service as one self-hosted process: serve (surviving descriptor exhaustion; over
 * HTTPS when configured, the certificate reloaded on SIGHUP and when its files change, with a
 * plain-HTTP listener that only redirects; or behind the opt-in stream front), give memory back
 * after event streams close, and on SIGTERM or SIGINT drain gracefully, close the services and
 * the store.
 */
import type { Config } from "../config.ts";
import type { Services } from "../services.ts";
import { closeServices } from "../services.ts";
import { redirectToHttps } from "./redirect.ts";
import { type ResilientServer, serveResilient } from "./serve.ts";
import { serveStreamFront, type StreamFrontOptions } from "./stream_front.ts";
import { returnMemoryAfterStreams } from "./memory.ts";
import { type TlsPair, watchTlsFiles } from "./tls.ts";

/** Where the process listens, once it does. */
export interface Listening {
  port: number;
  /** The plain-HTTP port that redirects to https, when there is one. */
  redirectPort: number | null;
}

/**
 * Serves `handler` until a signal, then drains: not ready and refusing new requests (503),
 * event streams ended with their closing comment, no new connections, requests already running
 * answered, all within `config.drainTimeoutMs`; then closes the services and the store.
 * With `tls` (read and checked by the caller, `readTlsPair`) it serves HTTPS.
 */
export async function runServer(
  handler: Deno.ServeHandler<Deno.NetAddr>,
  services: Services,
  options: {
    config: Config;
    tls: TlsPair | null;
    onListen: (listening: Listening) => void;
    /** What the stream front answers itself besides streams (`StreamFrontOptions`). */
    answerHere?: StreamFrontOptions["answerHere"];
  },
): Promise<void> {
  const { config } = options;
  const memory = returnMemoryAfterStreams(() => services.streams.released);
  let httpsPort = config.port;
  // First, so that the start-up line can say where it is.
  const redirect: ResilientServer | null = config.tls && config.httpRedirectPort !== null
    ? serveResilient(
      redirectToHttps({ publicUrl: config.publicUrl, httpsPort: () => httpsPort }),
      { port: config.httpRedirectPort, hostname: config.hostname },
    )
    : null;
  const onListen = async (port: number) => {
    httpsPort = port;
    const redirectPort = redirect ? await redirect.port : null;
    services.readiness.ready();
    options.onListen({ port, redirectPort });
  };
  // The stream front serves plain HTTP only (the config refuses it with TLS).
  const resilient = config.streamFront ? null : serveResilient(handler, {
    port: config.port,
    hostname: config.hostname,
    tls: config.tls && options.tls ? { files: config.tls, pair: options.tls } : undefined,
    onListen,
  });
  const server: { drain(deadlineMs: number): Promise<boolean> } = resilient ?? serveStreamFront(
    handler,
    (behind) => serveResilient(behind, { port: 0, hostname: "127.0.0.1" }),
    { port: config.port, hostname: config.hostname, onListen, answerHere: options.answerHere },
  );
  const watcher = config.tls && resilient
    ? watchTlsFiles(config.tls, () => resilient.reloadTls())
    : null;
  const onHangUp = () => resilient?.reloadTls();
  if (config.tls) Deno.addSignalListener("SIGHUP", onHangUp);
  const stopping = new Promise<string>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve(signal));
    }
  });
  const signal = await stopping;
  await memory.stop();
  const started = performance.now();
  watcher?.close();
  if (config.tls) Deno.removeSignalListener("SIGHUP", onHangUp);
  services.readiness.drain();
  services.hubs.close();
  services.menuHubs.close();
  const [inTime] = await Promise.all([
    server.drain(config.drainTimeoutMs),
    redirect?.drain(config.drainTimeoutMs),
  ]);
  const ms = Math.round(performance.now() - started);
  console.error(
    inTime
      ? `${signal}: drained in ${ms} ms; stopping`
      : `${signal}: requests still running after ${config.drainTimeoutMs} ms; stopping anyway`,
  );
  await closeServices(services);
  services.kv.close();
}
