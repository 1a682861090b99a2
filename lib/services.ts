/** Everything the routes need, built once from a store and a configuration. */
import { Auth } from "./auth/tokens.ts";
import { Catalog } from "./catalog/cache.ts";
import { MenuHubs } from "./catalog/menu_hub.ts";
import { CatalogService } from "./catalog/service.ts";
import type { Config } from "./config.ts";
import { Hubs } from "./feed/hub.ts";
import { OrderIntake } from "./orders/intake.ts";
import { loadSecrets, type Secrets } from "./auth/secrets.ts";
import { BackupSchedule } from "./backup/schedule.ts";
import { Readiness } from "./readiness.ts";

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
  /** The change-feed hubs (kitchen and guest streams), one per location. */
  hubs: Hubs;
  /** Starting, ready or draining (for `/api/health/ready`). */
  readiness: Readiness;
  /** Scheduled backups and how the last one went. */
  backups: BackupSchedule;
  /** The menu hubs (menu streams), one per location, following the catalog cache. */
  menuHubs: MenuHubs;
}

/** Builds the services on an open store. */
export async function createServices(kv: Deno.Kv, config: Config): Promise<Services> {
  const secrets = await loadSecrets(kv, config);
  const catalog = new Catalog(kv, { revalidate: config.catalogRevalidate });
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
    intake: new OrderIntake(kv, { catalog, config }),
    hubs: new Hubs(kv),
    readiness: new Readiness(),
    backups: new BackupSchedule(config),
    menuHubs: new MenuHubs(catalog),
  };
}

/** Stops background work (watches, hubs and their streams); the caller closes the store. */
export function closeServices(services: Services): void {
  services.menuHubs.close();
  services.catalog.close();
  services.hubs.close();
}
