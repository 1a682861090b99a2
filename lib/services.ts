/** Everything the routes need, built once from a store and a configuration. */
import { Auth } from "./auth/tokens.ts";
import { Catalog } from "./catalog/cache.ts";
import { MenuHubs } from "./catalog/menu_hub.ts";
import { CatalogService } from "./catalog/service.ts";
import type { Config } from "./config.ts";
import type { FeedConsumer } from "./feed/consumer.ts";
import { Hubs } from "./feed/hub.ts";
import { OrderIntake } from "./orders/intake.ts";
import { tableIndex } from "./orders/table_index.ts";
import { loadSecrets, type Secrets } from "./auth/secrets.ts";

/** The service graph of one process. */
export interface Services {
  kv: Deno.Kv;
  config: Config;
  secrets: Secrets;
  auth: Auth;
  /** The catalog as served from memory (menus, tables by token). */
  catalog: Catalog;
  /** The one writer of the catalog. */
  catalogService: CatalogService;
  intake: OrderIntake;
  /** The orders-by-table index, written behind the change feed. */
  tableIndex: FeedConsumer;
  /** The change-feed hubs (kitchen and guest streams), one per location. */
  hubs: Hubs;
  /** The menu hubs (menu streams), one per location, following the catalog cache. */
  menuHubs: MenuHubs;
}

/** Builds the services on an open store. */
export async function createServices(kv: Deno.Kv, config: Config): Promise<Services> {
  const secrets = await loadSecrets(kv, config);
  const catalog = new Catalog(kv);
  const index = tableIndex(kv, { retentionMs: config.eventRetentionMs });
  return {
    kv,
    config,
    secrets,
    auth: new Auth(kv, secrets),
    catalog,
    catalogService: new CatalogService(kv, {
      cache: catalog,
      retentionMs: config.eventRetentionMs,
    }),
    tableIndex: index,
    intake: new OrderIntake(kv, { catalog, tableIndex: index, config }),
    hubs: new Hubs(kv),
    menuHubs: new MenuHubs(catalog),
  };
}

/** Stops background work (watches, hubs and their streams); the caller closes the store. */
export function closeServices(services: Services): void {
  services.menuHubs.close();
  services.catalog.close();
  services.tableIndex.close();
  services.hubs.close();
}
