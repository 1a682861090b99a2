/** Starts SeatServe: open the store, seed it when empty, build the services and serve. */
import { configFromEnv } from "./lib/config.ts";
import { openStore } from "./lib/kv/store.ts";
import { firstLocation } from "./lib/catalog/locations.ts";
import { seedDemo } from "./lib/catalog/seed.ts";
import { createServices } from "./lib/services.ts";
import { runServer } from "./lib/server/lifecycle.ts";
import { createApp } from "./routes/app.ts";
import { sharedAssets } from "./lib/assets/assets.ts";

const config = configFromEnv();
const kv = await openStore(config);
if (config.seed) await seedDemo(kv, { retentionMs: config.eventRetentionMs });
const services = await createServices(kv, config);
const app = createApp(services);
// The pages' scripts, built (or read) before the first guest asks for them.
await sharedAssets(config.assetsDir);
services.backups.start();
services.webhooks.start();
await runServer(app.fetch, services, { config, onListen: announce });
Deno.exit(0); // drained and closed: timers of a library must not hold the process

/** Prints where the service answers: only URLs that work, and no table or order token. */
async function announce(port: number) {
  const store = config.kvPath ?? "Deno Deploy KV";
  console.log(`SeatServe listening on http://${config.hostname}:${port} (store: ${store})`);
  const location = await firstLocation(kv);
  if (location) {
    console.log(`  menu:     ${config.publicUrl}/api/menu?location=${location.slug}`);
  }
  console.log(`  kitchen:  ${config.publicUrl}/kitchen`);
  console.log(`  floor:    ${config.publicUrl}/floor`);
  console.log(`  API docs: ${config.publicUrl}/docs`);
  if (services.secrets.generatedBootstrapToken) {
    console.log(`  owner token (shown once, keep it): ${services.secrets.generatedBootstrapToken}`);
  }
}
