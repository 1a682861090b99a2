/** Everything the routes need, built once from a store and a configuration. */
import { Auth } from "./auth/tokens.ts";
import { Catalog } from "./catalog/cache.ts";
import { MenuHubs } from "./catalog/menu_hub.ts";
import { CatalogService } from "./catalog/service.ts";
import type { Config } from "./config.ts";
import { Hubs } from "./feed/hub.ts";
import { OrderIntake } from "./orders/intake.ts";
import { loadSecrets, type Secrets } from "./auth/secrets.ts";
import { SigningKeys } from "./auth/signing_keys.ts";
import { BackupSchedule } from "./backup/schedule.ts";
import { Readiness } from "./readiness.ts";
import type postgres from "postgres";
import { postgresClient } from "./mirror/client.ts";
import type { MirrorHandle } from "./mirror/runner.ts";
import { startMirror } from "./mirror/worker.ts";
import { WebhookDispatcher } from "./webhooks/dispatcher.ts";
import { KeptAnswers } from "./http/kept_answers.ts";
import { Limits } from "./ratelimit/limits.ts";
import { StreamCounter } from "./ratelimit/stream_caps.ts";
import { OidcClient } from "./auth/oidc/client.ts";

/** The service graph of one process. */
export interface Services {
  kv: Deno.Kv;
  config: Config;
  secrets: Secrets;
  /** The token-signing keys, as this process holds them (re-read every 2 s). */
  signingKeys: SigningKeys;
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
  /** The Postgres mirror's worker when this process runs it (`Config.mirrorWorker`), else null. */
  mirror: MirrorHandle | null;
  /** A Postgres client for analytics queries, or null without `DATABASE_URL`. */
  analytics: postgres.Sql | null;
  /** Webhook delivery of this process (started by `main.ts`; routes tell it of changes). */
  webhooks: WebhookDispatcher;
  /** The rate limits (orders, refused credentials, service requests, sign-in). */
  limits: Limits;
  /** Event streams open now, capped per order token, staff credential and address. */
  streams: StreamCounter;
  /** The OpenID Connect client, or null when sign-in is not configured. */
  oidc: OidcClient | null;
  /** Public reads answered whole from memory until the catalog changes (menus, guest pages). */
  answers: KeptAnswers;
}

/** Builds the services on an open store. */
export async function createServices(kv: Deno.Kv, config: Config): Promise<Services> {
  const secrets = await loadSecrets(kv, config);
  const signingKeys = await SigningKeys.open(kv);
  const catalog = new Catalog(kv, { revalidate: config.catalogRevalidate });
  // Not where the catalog is re-read per request (other instances write it), nor where every
  // request is logged by the application.
  const answers = new KeptAnswers({
    enabled: config.keptAnswers && !config.catalogRevalidate && config.requestLog === "off",
    trustProxy: config.trustProxyHeader !== null,
  });
  catalog.onChange(() => answers.clear());
  return {
    kv,
    config,
    secrets,
    signingKeys,
    auth: new Auth(kv, secrets, signingKeys),
    catalog,
    catalogService: new CatalogService(kv, {
      cache: catalog,
      retentionMs: config.eventRetentionMs,
      auditRetentionMs: config.auditRetentionMs,
    }),
    intake: new OrderIntake(kv, { catalog, config }),
    hubs: new Hubs(kv, {}, { catalog }),
    readiness: new Readiness(),
    backups: new BackupSchedule(config),
    menuHubs: new MenuHubs(catalog),
    mirror: startMirror(kv, config),
    analytics: config.databaseUrl
      ? postgresClient(config.databaseUrl, {
        name: "seatserve-analytics",
        max: 2,
        statementTimeoutMs: 15_000,
      })
      : null,
    webhooks: new WebhookDispatcher(kv, config),
    limits: new Limits(config.rateLimits),
    streams: new StreamCounter(config.streamCaps),
    oidc: config.oidc ? new OidcClient(config.oidc) : null,
    answers,
  };
}

/**
 * Stops background work (watches, hubs and their streams, the mirror); the caller closes the
 * store once the returned promise settles (the mirror lets go of it and of Postgres then).
 */
export async function closeServices(services: Services): Promise<void> {
  services.menuHubs.close();
  services.catalog.close();
  services.hubs.close();
  services.signingKeys.close();
  await Promise.all([
    services.webhooks.close(),
    services.mirror?.close(),
    services.analytics?.end({ timeout: 1 }).catch(() => {}),
  ]);
}
