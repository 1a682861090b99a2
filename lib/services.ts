/** Everything the routes need, built once from a store and a configuration. */
import { Auth } from "./auth/tokens.ts";
import { Catalog } from "./catalog/cache.ts";
import type { Config } from "./config.ts";
import { Hubs } from "./feed/hub.ts";
import { OrderIntake } from "./orders/intake.ts";
import { loadSecrets, type Secrets } from "./auth/secrets.ts";
import { TableIndex } from "./orders/table_index.ts";

/** The service graph of one process. */
export interface Services {
  kv: Deno.Kv;
  config: Config;
  secrets: Secrets;
  auth: Auth;
  catalog: Catalog;
  intake: OrderIntake;
  /** The orders-by-table index, written behind the change feed. */
  tableIndex: TableIndex;
  /** The change-feed hubs (kitchen and guest streams), one per location. */
  hubs: Hubs;
}

/** Builds the services on an open store. */
export async function createServices(kv: Deno.Kv, config: Config): Promise<Services> {
  const secrets = await loadSecrets(kv, config);
  const catalog = new Catalog(kv);
  const tableIndex = new TableIndex(kv, { retentionMs: config.eventRetentionMs });
  return {
    kv,
    config,
    secrets,
    auth: new Auth(kv, secrets),
    catalog,
    tableIndex,
    intake: new OrderIntake(kv, { catalog, tableIndex, config }),
    hubs: new Hubs(kv),
  };
}

/** Stops background work (watches, hubs and their streams); the caller closes the store. */
export function closeServices(services: Services): void {
  services.catalog.close();
  services.tableIndex.close();
  services.hubs.close();
}
