/**
 * Running the service as one self-hosted process: serve (surviving descriptor exhaustion), give
 * memory back after event streams close, and on SIGTERM or SIGINT drain gracefully, close the
 * services and the store.
 */
import type { Config } from "../config.ts";
import type { Services } from "../services.ts";
import { closeServices } from "../services.ts";
import { serveResilient } from "./serve.ts";
import { serveStreamFront } from "./stream_front.ts";
import { returnMemoryAfterStreams } from "./memory.ts";

/**
 * Serves `handler` until a signal, then drains: not ready and refusing new requests (503),
 * event streams ended with their closing comment, no new connections, requests already running
 * answered, all within `config.drainTimeoutMs`; then closes the services and the store.
 */
export async function runServer(
  handler: Deno.ServeHandler<Deno.NetAddr>,
  services: Services,
  options: { config: Config; onListen: (port: number) => void },
): Promise<void> {
  const { config } = options;
  const memory = returnMemoryAfterStreams(() => services.streams.released);
  const onListen = (port: number) => {
    services.readiness.ready();
    options.onListen(port);
  };
  const server = config.streamFront
    ? serveStreamFront(
      handler,
      (behind) => serveResilient(behind, { port: 0, hostname: "127.0.0.1" }),
      { port: config.port, hostname: config.hostname, onListen },
    )
    : serveResilient(handler, { port: config.port, hostname: config.hostname, onListen });
  const stopping = new Promise<string>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve(signal));
    }
  });
  const signal = await stopping;
  await memory.stop();
  const started = performance.now();
  services.readiness.drain();
  services.hubs.close();
  services.menuHubs.close();
  const inTime = await server.drain(config.drainTimeoutMs);
  const ms = Math.round(performance.now() - started);
  console.error(
    inTime
      ? `${signal}: drained in ${ms} ms; stopping`
      : `${signal}: requests still running after ${config.drainTimeoutMs} ms; stopping anyway`,
  );
  await closeServices(services);
  services.kv.close();
}
