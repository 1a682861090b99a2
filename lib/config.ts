/**
 * All runtime configuration, read from the environment in one place.
 * Everything else receives a `Config`; nothing else reads `Deno.env`.
 */

import { decodeBackupKeys } from "./backup/encryption.ts";
import type { RateRule } from "./ratelimit/limiter.ts";

/** The service's settings. */
export interface Config {
  port: number;
  hostname: string;
  /**
   * Serve HTTPS from these PEM files (`SEATSERVE_TLS_CERT_FILE`, `SEATSERVE_TLS_KEY_FILE`), or
   * null: plain HTTP (behind a proxy, or on Deno Deploy, TLS is theirs). Re-read on SIGHUP and
   * when they change.
   */
  tls: TlsFiles | null;
  /**
   * With `tls`, a plain-HTTP port that answers every request 308 to the https URL
   * (`SEATSERVE_HTTP_REDIRECT_PORT`), or null: none.
   */
  httpRedirectPort: number | null;
  /** Deno KV path; `undefined` lets Deno pick (Deno Deploy), ":memory:" for tests. */
  kvPath: string | undefined;
  /** Seed the demo restaurant into an empty store on start. */
  seed: boolean;
  /** A fixed owner token for every location, or null to generate one on first start. */
  bootstrapToken: string | null;
  /** Base URL printed and encoded in QR codes (`http://localhost:8000` by default). */
  publicUrl: string;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
  /** Group commit: most orders in one atomic commit. */
  batchMaxOrders: number;
  /** Group commit: most checks in one atomic commit (denokv allows only 10, SQLite KV 100). */
  batchMaxChecks: number;
  /** Group commit: most commits of one location running at once. */
  batchMaxInFlight: number;
  /** How long change-feed entries are kept, in milliseconds. */
  eventRetentionMs: number;
  /**
   * How often an event stream sends a `: keep-alive` comment and re-checks the staff token it
   * was opened with (a revoked or expired token ends it), in milliseconds. At most 15 s (API.md).
   */
  streamKeepAliveMs: number;
  /** How long idempotency keys are remembered, in milliseconds. */
  idempotencyTtlMs: number;
  /**
   * Which store's limits the code keeps to: "remote" (Deno Deploy, a denokv server: 10 checks an
   * atomic op) or "local" (SQLite: 100). Derived from the path; forcing "remote" on a local store
   * wraps it so that an op over the remote limits throws (for tests).
   */
  kvLimits: "local" | "remote";
  /** Most checks one atomic op may hold on this store. */
  maxChecksPerOp: number;
  /**
   * Re-read the catalog version key before serving a cached menu or table list, so that an edit
   * acknowledged by another instance is never served stale. On by default with a remote store
   * (many instances); a local store has one process, which invalidates its own cache.
   */
  catalogRevalidate: boolean;
  /** Test only: milliseconds added to every commit (a remote store's latency). */
  testCommitDelayMs: number;
  /** Where backups go; with it set, the server takes one every 5 minutes. */
  backupDir: string | null;
  /** How many scheduled backups to keep in `backupDir`. */
  backupKeep: number;
  /** A command run after each scheduled backup with the file's path as its last argument. */
  backupAfter: string | null;
  /**
   * Backup encryption keys (`BACKUP_KEY`: base64 32-byte keys, comma-separated, newest first):
   * the first encrypts new backups, all decrypt. Empty: backups are not encrypted.
   */
  backupKeys: Uint8Array[];
  /** Postgres of the analytics mirror (`DATABASE_URL`), or null: no mirror, no analytics. */
  databaseUrl: string | null;
  /**
   * Where this process runs the mirror's worker: `thread` (a Deno Worker, off the request
   * thread), `inline` (on the request thread) or `external` (not here: `deno task mirror` runs
   * it; this process still serves analytics and reports the mirror's state).
   */
  mirrorWorker: MirrorWorkerMode;
  /** Most changes the mirror writes in one Postgres transaction. */
  mirrorBatchChanges: number;
  /**
   * Which header names the client's address when a reverse proxy in front is trusted
   * (`SEATSERVE_TRUST_PROXY`: `x-forwarded-for`, `x-real-ip`, `cf-connecting-ip`…), or null: the
   * socket's address, never a header anyone can set.
   */
  trustProxyHeader: string | null;
  /**
   * The rate limits (shared/API.md v1.1), or null when `SEATSERVE_RATE_LIMIT=off`. Each is
   * `SEATSERVE_RATE_<NAME>` as `<per minute>` or `<per minute>/<burst>` (README).
   */
  rateLimits: RateLimits | null;
  /** Most event streams open at once per order token, staff credential and client address. */
  streamCaps: StreamCaps;
  /**
   * How long a stopping server (SIGTERM, SIGINT) lets in-flight requests finish before it exits
   * (`SEATSERVE_DRAIN_SECONDS`), in milliseconds.
   */
  drainTimeoutMs: number;
  /** Origins that get CORS headers (`SEATSERVE_CORS_ORIGINS`, comma-separated); empty: none. */
  corsOrigins: string[];
  /** Request logs: none, or one JSON object a line on stdout (`SEATSERVE_LOG=json`). */
  requestLog: "off" | "json";
  /**
   * Answer repeated public reads (menus, guest pages) whole from memory until the catalog
   * changes (`SEATSERVE_KEPT_ANSWERS`, on by default). Never with catalog revalidation or
   * request logs, which need the application on every request.
   */
  keptAnswers: boolean;
  /**
   * Serve event streams off raw sockets in an in-process front, relaying every other connection
   * to `Deno.serve` behind it (`SEATSERVE_STREAM_FRONT=on`; self-hosted only): a fraction of
   * the memory per idle stream, for a cost on everything else (BENCHMARKS.md).
   */
  streamFront: boolean;
  /**
   * Staff sign-in with OpenID Connect (`OIDC_ISSUER`, `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`,
   * `OIDC_REDIRECT_URL`), or null when not configured: sign-in pages say so, tokens still work.
   */
  oidc: OidcConfig | null;
  /** How long a signed-in session lives at most, in ms (`SEATSERVE_SESSION_TTL_HOURS`). */
  sessionTtlMs: number;
  /** How long a session lives unused, in ms (`SEATSERVE_SESSION_IDLE_MINUTES`). */
  sessionIdleMs: number;
  /** How long audit entries are kept, in ms (`SEATSERVE_AUDIT_RETENTION_DAYS`). */
  auditRetentionMs: number;
  /**
   * A `deno task build` output to serve the pages' scripts from (`SEATSERVE_ASSETS_DIR`), or
   * null: build them with esbuild at start (Deno Deploy runs no subprocess: build before deploy).
   */
  assetsDir: string | null;
  /** Webhook delivery (`SEATSERVE_WEBHOOKS_*`, README). */
  webhooks: WebhookSettings;
}

/** The certificate chain and private key to serve HTTPS with (paths to PEM files). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** How webhooks are delivered. */
export interface WebhookSettings {
  /**
   * Accept endpoints whose URL resolves to private, loopback or link-local addresses
   * (`SEATSERVE_WEBHOOKS_ALLOW_PRIVATE=1`: tests, a receiver on the same network on purpose).
   */
  allowPrivate: boolean;
  /** How long one attempt may take, answer included (`SEATSERVE_WEBHOOKS_TIMEOUT_MS`). */
  timeoutMs: number;
  /**
   * How long an endpoint keeps failing before it is disabled: retries go on with exponential
   * backoff until then (`SEATSERVE_WEBHOOKS_RETRY_BUDGET_SECONDS`, default 24 h).
   */
  retryBudgetMs: number;
  /** The first retry's delay; each next one doubles, with jitter (`..._RETRY_BASE_MS`). */
  retryBaseMs: number;
  /** The longest delay between two attempts (`SEATSERVE_WEBHOOKS_RETRY_MAX_MS`, default 1 h). */
  retryMaxMs: number;
  /** How long a process's claim on an endpoint lasts unless renewed (`..._LEASE_MS`). */
  leaseMs: number;
  /** How long delivery log entries are kept (`SEATSERVE_WEBHOOKS_LOG_DAYS`, default 3). */
  logRetentionMs: number;
  /** Most changes one endpoint holds in memory at once (`SEATSERVE_WEBHOOKS_BATCH`). */
  batchChanges: number;
}

/** Caps on concurrent event streams (each a held connection and a subscription). */
export interface StreamCaps {
  /** Per guest order token (`SEATSERVE_STREAMS_PER_ORDER`). */
  perOrder: number;
  /** Per staff credential (`SEATSERVE_STREAMS_PER_STAFF`). */
  perStaff: number;
  /** Per client address (`SEATSERVE_STREAMS_PER_ADDRESS`): a whole restaurant's Wi-Fi is one. */
  perAddress: number;
}

/** An OpenID Connect client registration. */
export interface OidcConfig {
  /** The issuer identifier (discovery is at `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The callback registered at the issuer: `<public URL>/auth/callback` unless set. */
  redirectUrl: string;
  /** Plain-http issuer on a loopback address (a test or development provider). */
  allowInsecure: boolean;
}

/** Every rate limit of the service, each a token bucket per key. */
export interface RateLimits {
  /** Orders created per table token (`SEATSERVE_RATE_ORDERS_PER_TABLE`). */
  ordersPerTable: RateRule;
  /** Orders created per client address (`SEATSERVE_RATE_ORDERS_PER_ADDRESS`). */
  ordersPerAddress: RateRule;
  /** Refused credentials (tokens, sessions) per client address (`SEATSERVE_RATE_FAILED_AUTH`). */
  failedAuthPerAddress: RateRule;
  /** Service requests per table (`SEATSERVE_RATE_SERVICE_REQUESTS`). */
  serviceRequestsPerTable: RateRule;
  /** Sign-in attempts per client address (`SEATSERVE_RATE_SIGN_IN`). */
  signInPerAddress: RateRule;
}

/**
 * The defaults: a table orders a few times an hour (a burst of 10 covers a party ordering one
 * by one); a restaurant's 80 tables behind one Wi-Fi address at a few orders a table a minute
 * stay well under the per-address limit.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  ordersPerTable: { perMinute: 6, burst: 10 },
  ordersPerAddress: { perMinute: 600, burst: 300 },
  failedAuthPerAddress: { perMinute: 30, burst: 30 },
  serviceRequestsPerTable: { perMinute: 2, burst: 5 },
  signInPerAddress: { perMinute: 20, burst: 20 },
};

/** Where the mirror's worker runs (`SEATSERVE_MIRROR_WORKER`). */
export type MirrorWorkerMode = "thread" | "inline" | "external";
const MIRROR_WORKER_MODES: readonly MirrorWorkerMode[] = ["thread", "inline", "external"];

type Env = Record<string, string | undefined>;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Builds the configuration from an environment map (pure, so tests can pass their own). */
export function loadConfig(env: Env): Config {
  const port = intSetting(env, "PORT", 8000, 0, 65535);
  const hostname = env.HOSTNAME?.trim() || "0.0.0.0";
  const kvPath = env.SEATSERVE_KV_PATH?.trim() ||
    (env.DENO_DEPLOYMENT_ID ? undefined : "./data/seatserve.kv");
  const remotePath = kvPath === undefined || /^https?:\/\//i.test(kvPath);
  const kvLimits = oneOf(env, "SEATSERVE_KV_LIMITS", ["local", "remote"]) ??
    (remotePath ? "remote" : "local");
  const maxChecksPerOp = kvLimits === "remote" ? 10 : 100;
  const tls = tlsFiles(env);
  const scheme = tls ? "https" : "http";
  const publicUrl = (env.SEATSERVE_PUBLIC_URL?.trim() || `${scheme}://localhost:${port || 8000}`)
    .replace(/\/+$/, "");
  const httpRedirectPort = env.SEATSERVE_HTTP_REDIRECT_PORT?.trim()
    ? intSetting(env, "SEATSERVE_HTTP_REDIRECT_PORT", 0, 0, 65535)
    : null;
  const streamFront = (oneOf(env, "SEATSERVE_STREAM_FRONT", ["on", "off"]) ?? "off") === "on";
  if (streamFront && tls) {
    throw new Error(
      "SEATSERVE_STREAM_FRONT serves plain HTTP only: leave it off with SEATSERVE_TLS_CERT_FILE " +
        "(or terminate TLS in a proxy in front)",
    );
  }
  if (httpRedirectPort !== null && !tls) {
    throw new Error(
      "SEATSERVE_HTTP_REDIRECT_PORT redirects to https: it needs SEATSERVE_TLS_CERT_FILE and " +
        "SEATSERVE_TLS_KEY_FILE",
    );
  }
  return {
    port,
    hostname,
    tls,
    httpRedirectPort,
    kvPath,
    seed: !isOff(env.SEATSERVE_SEED),
    bootstrapToken: env.SEATSERVE_BOOTSTRAP_TOKEN || null,
    publicUrl,
    maxBodyBytes: intSetting(env, "SEATSERVE_MAX_BODY_BYTES", 64 * 1024, 1024, 1024 * 1024),
    batchMaxOrders: intSetting(env, "SEATSERVE_BATCH_MAX_ORDERS", 64, 1, 200),
    batchMaxChecks: intSetting(
      env,
      "SEATSERVE_BATCH_MAX_CHECKS",
      maxChecksPerOp,
      2,
      maxChecksPerOp,
    ),
    // A remote store answers a commit later and holds fewer orders with keys in one (10 checks):
    // more commits overlap there, so that batches, not waits, take the latency.
    batchMaxInFlight: intSetting(
      env,
      "SEATSERVE_BATCH_MAX_IN_FLIGHT",
      kvLimits === "remote" ? 8 : 2,
      1,
      16,
    ),
    eventRetentionMs: intSetting(env, "SEATSERVE_EVENT_RETENTION_DAYS", 7, 1, 365) * DAY_MS,
    streamKeepAliveMs: intSetting(env, "SEATSERVE_STREAM_KEEPALIVE_SECONDS", 10, 1, 15) * 1000,
    idempotencyTtlMs: DAY_MS,
    kvLimits,
    maxChecksPerOp,
    catalogRevalidate: env.SEATSERVE_CATALOG_REVALIDATE === undefined
      ? kvLimits === "remote"
      : !isOff(env.SEATSERVE_CATALOG_REVALIDATE),
    testCommitDelayMs: intSetting(env, "SEATSERVE_TEST_COMMIT_DELAY_MS", 0, 0, 10_000),
    backupDir: env.BACKUP_DIR?.trim() || null,
    backupKeep: intSetting(env, "BACKUP_KEEP", 48, 1, 100_000),
    backupAfter: env.BACKUP_AFTER?.trim() || null,
    backupKeys: decodeBackupKeys(env.BACKUP_KEY ?? ""),
    databaseUrl: env.DATABASE_URL?.trim() || null,
    mirrorWorker: mirrorWorkerMode(env.SEATSERVE_MIRROR_WORKER),
    mirrorBatchChanges: intSetting(env, "SEATSERVE_MIRROR_BATCH", 2000, 1, 20_000),
    trustProxyHeader: trustProxyHeader(env.SEATSERVE_TRUST_PROXY),
    assetsDir: env.SEATSERVE_ASSETS_DIR?.trim() || null,
    rateLimits: isOff(env.SEATSERVE_RATE_LIMIT) ? null : {
      ordersPerTable: rateRule(env, "ORDERS_PER_TABLE", DEFAULT_RATE_LIMITS.ordersPerTable),
      ordersPerAddress: rateRule(env, "ORDERS_PER_ADDRESS", DEFAULT_RATE_LIMITS.ordersPerAddress),
      failedAuthPerAddress: rateRule(env, "FAILED_AUTH", DEFAULT_RATE_LIMITS.failedAuthPerAddress),
      serviceRequestsPerTable: rateRule(
        env,
        "SERVICE_REQUESTS",
        DEFAULT_RATE_LIMITS.serviceRequestsPerTable,
      ),
      signInPerAddress: rateRule(env, "SIGN_IN", DEFAULT_RATE_LIMITS.signInPerAddress),
    },
    webhooks: {
      allowPrivate: isOn(env.SEATSERVE_WEBHOOKS_ALLOW_PRIVATE),
      timeoutMs: intSetting(env, "SEATSERVE_WEBHOOKS_TIMEOUT_MS", 10_000, 100, 60_000),
      retryBudgetMs: intSetting(
        env,
        "SEATSERVE_WEBHOOKS_RETRY_BUDGET_SECONDS",
        24 * 60 * 60,
        1,
        30 * 24 * 60 * 60,
      ) * 1000,
      retryBaseMs: intSetting(env, "SEATSERVE_WEBHOOKS_RETRY_BASE_MS", 1000, 1, 60_000),
      retryMaxMs: intSetting(env, "SEATSERVE_WEBHOOKS_RETRY_MAX_MS", 60 * 60 * 1000, 1, DAY_MS),
      leaseMs: intSetting(env, "SEATSERVE_WEBHOOKS_LEASE_MS", 30_000, 200, 10 * 60 * 1000),
      logRetentionMs: intSetting(env, "SEATSERVE_WEBHOOKS_LOG_DAYS", 3, 1, 90) * DAY_MS,
      batchChanges: intSetting(env, "SEATSERVE_WEBHOOKS_BATCH", 200, 1, 1000),
    },
    streamCaps: {
      perOrder: intSetting(env, "SEATSERVE_STREAMS_PER_ORDER", 4, 1, 1_000_000),
      perStaff: intSetting(env, "SEATSERVE_STREAMS_PER_STAFF", 50, 1, 1_000_000),
      perAddress: intSetting(env, "SEATSERVE_STREAMS_PER_ADDRESS", 1_000, 1, 1_000_000),
    },
    drainTimeoutMs: intSetting(env, "SEATSERVE_DRAIN_SECONDS", 5, 1, 600) * 1000,
    corsOrigins: corsOrigins(env.SEATSERVE_CORS_ORIGINS),
    requestLog: oneOf(env, "SEATSERVE_LOG", ["off", "json"]) ?? "off",
    keptAnswers: (oneOf(env, "SEATSERVE_KEPT_ANSWERS", ["on", "off"]) ?? "on") === "on",
    streamFront,
    oidc: oidcConfig(env, publicUrl),
    sessionTtlMs: intSetting(env, "SEATSERVE_SESSION_TTL_HOURS", 12, 1, 24 * 30) * 60 * 60_000,
    sessionIdleMs: intSetting(env, "SEATSERVE_SESSION_IDLE_MINUTES", 120, 1, 24 * 60) * 60_000,
    auditRetentionMs: intSetting(env, "SEATSERVE_AUDIT_RETENTION_DAYS", 90, 1, 3650) * DAY_MS,
  };
}

/** The configuration of this process. */
export function configFromEnv(): Config {
  return loadConfig(Deno.env.toObject());
}

/** `SEATSERVE_TLS_CERT_FILE` and `SEATSERVE_TLS_KEY_FILE`: both or neither. */
function tlsFiles(env: Env): TlsFiles | null {
  const certFile = env.SEATSERVE_TLS_CERT_FILE?.trim() ?? "";
  const keyFile = env.SEATSERVE_TLS_KEY_FILE?.trim() ?? "";
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) {
    throw new Error(
      `HTTPS needs both SEATSERVE_TLS_CERT_FILE and SEATSERVE_TLS_KEY_FILE; ` +
        `${certFile ? "SEATSERVE_TLS_KEY_FILE" : "SEATSERVE_TLS_CERT_FILE"} is not set`,
    );
  }
  return { certFile, keyFile };
}

function mirrorWorkerMode(raw: string | undefined): MirrorWorkerMode {
  const value = (raw ?? "").trim().toLowerCase() || "thread";
  if (!MIRROR_WORKER_MODES.includes(value as MirrorWorkerMode)) {
    throw new Error(
      `SEATSERVE_MIRROR_WORKER must be one of ${MIRROR_WORKER_MODES.join(", ")}, got "${raw}"`,
    );
  }
  return value as MirrorWorkerMode;
}

/** `SEATSERVE_RATE_<name>`: `<per minute>` (burst the same) or `<per minute>/<burst>`. */
function rateRule(env: Env, name: string, fallback: RateRule): RateRule {
  const variable = `SEATSERVE_RATE_${name}`;
  const raw = env[variable]?.trim();
  if (!raw) return fallback;
  const match = /^(\d{1,7})(?:\/(\d{1,7}))?$/.exec(raw);
  const perMinute = Number(match?.[1]);
  const burst = Number(match?.[2] ?? match?.[1]);
  if (!match || perMinute < 1 || burst < 1) {
    throw new Error(`${variable} must be "<per minute>" or "<per minute>/<burst>", got "${raw}"`);
  }
  return { perMinute, burst };
}

/** `SEATSERVE_CORS_ORIGINS`: exact origins (`https://menu.example.com`), comma-separated. */
function corsOrigins(raw: string | undefined): string[] {
  const origins = (raw ?? "").split(",").map((origin) => origin.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/i.test(origin)) {
      throw new Error(
        `SEATSERVE_CORS_ORIGINS must list origins such as https://example.com, got "${origin}"`,
      );
    }
  }
  return origins;
}

/** All of `OIDC_ISSUER`, `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET`, or none of them. */
function oidcConfig(env: Env, publicUrl: string): OidcConfig | null {
  const names = ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"] as const;
  const [issuer, clientId, clientSecret] = names.map((name) => env[name]?.trim() ?? "");
  if (!issuer && !clientId && !clientSecret) return null;
  const missing = names.filter((name) => !env[name]?.trim());
  if (missing.length) {
    throw new Error(`OIDC sign-in needs ${names.join(", ")}; ${missing.join(", ")} not set`);
  }
  const url = parsedUrl("OIDC_ISSUER", issuer);
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error(`OIDC_ISSUER must be an https URL (http only on localhost), got "${issuer}"`);
  }
  const redirectUrl = env.OIDC_REDIRECT_URL?.trim() || `${publicUrl}/auth/callback`;
  parsedUrl("OIDC_REDIRECT_URL", redirectUrl);
  return { issuer, clientId, clientSecret, redirectUrl, allowInsecure: url.protocol === "http:" };
}

function parsedUrl(name: string, raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new Error(`${name} must be a URL, got "${raw}"`);
  }
}

function trustProxyHeader(raw: string | undefined): string | null {
  const value = (raw ?? "").trim().toLowerCase();
  if (!value || isOff(value)) return null;
  // "1"/"on" means the common header; a name says which one the proxy sets.
  if (["1", "on", "true", "yes"].includes(value)) return "x-forwarded-for";
  if (!/^[a-z0-9-]{1,64}$/.test(value)) {
    throw new Error(`SEATSERVE_TRUST_PROXY must be off, on or a header name, got "${raw}"`);
  }
  return value;
}

function isOn(value: string | undefined): boolean {
  return ["1", "on", "true", "yes"].includes((value ?? "").trim().toLowerCase());
}

function isOff(value: string | undefined): boolean {
  return ["0", "off", "false", "no"].includes((value ?? "").trim().toLowerCase());
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[]): T | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return undefined;
  if (!values.includes(raw as T)) {
    throw new Error(`${name} must be one of ${values.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

function intSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
