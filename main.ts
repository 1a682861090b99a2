/** Starts SeatServe: open the store, seed it when empty, build the services and serve. */
import { configFromEnv } from "./lib/config.ts";
import { openStore } from "./lib/kv/store.ts";
import { firstLocation } from "./lib/catalog/locations.ts";
import { seedDemo } from "./lib/catalog/seed.ts";
import { closeServices, createServices } from "./lib/services.ts";
import { createApp } from "./routes/app.ts";
import { sharedAssets } from "./lib/assets/assets.ts";

const config = configFromEnv();
const kv = await openStore(config);
if (config.seed) await seedDemo(kv, { retentionMs: config.eventRetentionMs });
const services = await createServices(kv, config);
const app = createApp(services);
// The pages' scripts, built (or read) before the first guest asks for them.
await sharedAssets(config.assetsDir);

const shutdown = new AbortController();
const server = Deno.serve({
  port: config.port,
  hostname: config.hostname,
  signal: shutdown.signal,
  onListen: ({ port }) => {
    services.readiness.ready();
    announce(port);
  },
}, app.fetch);
services.backups.start();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    // Not ready from now on; end the event streams first, each with a comment saying why, and
    // let those bytes go out before the server stops.
    services.readiness.drain();
    services.hubs.close();
    services.menuHubs.close();
    setTimeout(() => shutdown.abort(), 200);
  });
}
await server.finished;
await closeServices(services);
kv.close();

/** Prints where the service answers: only URLs that work. */
async function announce(port: number) {
  const store = config.kvPath ?? "Deno Deploy KV";
  console.log(`SeatServe listening on http://${config.hostname}:${port} (store: ${store})`);
  const location = await firstLocation(kv);
  if (location) {
    console.log(`  menu:     ${config.publicUrl}/api/menu?location=${location.slug}`);
  }
  console.log(`  API docs: ${config.publicUrl}/docs`);
  if (services.secrets.generatedBootstrapToken) {
    console.log(`  owner token (shown once, keep it): ${services.secrets.generatedBootstrapToken}`);
  }
}
