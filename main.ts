/** Starts SeatServe: open the store, seed it when empty, build the services and serve. */
import { configFromEnv } from "./lib/config.ts";
import { openStore } from "./lib/kv/store.ts";
import { firstLocation } from "./lib/catalog/locations.ts";
import { seedDemo } from "./lib/catalog/seed.ts";
import { createServices } from "./lib/services.ts";
import { type Listening, runServer } from "./lib/server/lifecycle.ts";
import { certificateFingerprint, readTlsPair } from "./lib/server/tls.ts";
import { StartupError } from "./lib/errors.ts";
import { createApp } from "./routes/app.ts";
import { frontAnswers, serveHandler } from "./routes/kept_answers.ts";
import { sharedAssets } from "./lib/assets/assets.ts";

const config = configFromEnv();
// Bad certificate files stop the start here, with one line saying which and why.
const tls = config.tls ? await readTlsPair(config.tls).catch(startupFailed) : null;
const kv = await openStore(config);
if (config.seed) await seedDemo(kv, { retentionMs: config.eventRetentionMs });
const services = await createServices(kv, config);
const app = createApp(services);
// The pages' scripts, built (or read) before the first guest asks for them.
await sharedAssets(config.assetsDir);
services.backups.start();
services.webhooks.start();
await runServer(serveHandler(app, services), services, {
  config,
  tls,
  onListen: announce,
  answerHere: frontAnswers(services),
});
Deno.exit(0); // drained and closed: timers of a library must not hold the process

/** A `StartupError` is printed alone (no stack trace) and ends the process; others go on. */
function startupFailed(error: unknown): never {
  if (!(error instanceof StartupError)) throw error;
  console.error(`SeatServe cannot start: ${error.message}`);
  Deno.exit(1);
}

/** Prints where the service answers: only URLs that work, and no table or order token. */
async function announce({ port, redirectPort }: Listening) {
  const store = config.kvPath ?? "Deno Deploy KV";
  const scheme = tls ? "https" : "http";
  console.log(`SeatServe listening on ${scheme}://${config.hostname}:${port} (store: ${store})`);
  if (tls) {
    console.log(
      `  mode:     HTTPS (HTTP/2 and HTTP/1.1), certificate SHA-256 ` +
        `${await certificateFingerprint(tls.cert)}; reloaded on SIGHUP or when its files change`,
    );
    if (redirectPort !== null) {
      console.log(`  http:     port ${redirectPort} only redirects (308) to https`);
    }
  } else {
    console.log("  mode:     plain HTTP (no TLS here: a proxy in front or the platform does it)");
  }
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
