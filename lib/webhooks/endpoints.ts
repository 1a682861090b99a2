/**
 * The webhook endpoint store: endpoints per location with their signing secrets, each with its
 * cursor in the change feed (created with the endpoint at the feed's head: an endpoint hears of
 * what is committed after it exists), and its log of delivery attempts.
 */
import { audit, type AuditContext } from "../audit/entry.ts";
import { conflict, invalid, notFound } from "../errors.ts";
import {
  comparePositions,
  decodeFeedEntry,
  type FeedPosition,
  newestPosition,
  readFeedEpoch,
} from "../feed/feed.ts";
import { newId } from "../kv/ids.ts";
import {
  allWebhooksPrefix,
  eventsPrefix,
  webhookCursorKey,
  webhookDeliveriesPrefix,
  webhookDeliveryKey,
  webhookKey,
  webhookLeaseKey,
  webhooksPrefix,
  webhooksVersionKey,
} from "../kv/keys.ts";
import type { WebhookEventType } from "./events.ts";
import type { CreateWebhookInput, Delivery, UpdateWebhookInput, Webhook } from "./schemas.ts";

/** Most endpoints one location may have. */
export const MAX_ENDPOINTS_PER_LOCATION = 20;

/** An endpoint as stored: what `Webhook` shows, its location and its secret. */
export interface WebhookEndpoint extends Webhook {
  locationId: string;
  events: WebhookEventType[];
  /** `whsec_` + base64 of 32 random bytes. */
  secret: string;
}

/** Where an endpoint is in its location's feed, and how long it has been failing. */
export interface WebhookCursor {
  /** The last change delivered (or skipped as not asked for); null: before the whole feed. */
  position: FeedPosition | null;
  /** When the cursor was last written (ms). */
  at: number;
  /** When the current streak of failed attempts began (ms), or null when the last one worked. */
  failingSince: number | null;
  /** Failed attempts of the event at the cursor in the current streak. */
  failures: number;
}

/** A delivery attempt as stored (with its expiry, for an import). */
export interface StoredDelivery extends Delivery {
  expiresAt: number;
}

/** The endpoint as listed: no secret, no location. */
export function publicWebhook(endpoint: WebhookEndpoint): Webhook {
  const { secret: _secret, locationId: _location, ...shown } = endpoint;
  return shown;
}

/** What an audit entry about an endpoint names. */
function webhookTarget(endpoint: WebhookEndpoint): { type: string; id: string } {
  return { type: "webhook", id: endpoint.id };
}

/** A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks). */
export function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return "whsec_" + btoa(String.fromCharCode(...bytes));
}

/** Creates an endpoint with its secret and its cursor at the feed's head, in one commit. */
export async function createEndpoint(
  kv: Deno.Kv,
  locationId: string,
  input: CreateWebhookInput,
  context?: AuditContext,
): Promise<WebhookEndpoint> {
  const existing = await listEndpoints(kv, locationId);
  if (existing.length >= MAX_ENDPOINTS_PER_LOCATION) {
    throw conflict(
      "webhook_limit",
      `A location may have at most ${MAX_ENDPOINTS_PER_LOCATION} webhook endpoints.`,
    );
  }
  const now = new Date().toISOString();
  const endpoint: WebhookEndpoint = {
    id: `we_${newId()}`,
    locationId,
    url: input.url,
    events: [...input.events],
    description: input.description ?? null,
    enabled: true,
    disabledAt: null,
    disabledReason: null,
    createdAt: now,
    updatedAt: now,
    secret: newSecret(),
  };
  const cursor: WebhookCursor = {
    position: await headPosition(kv, locationId),
    at: Date.now(),
    failingSince: null,
    failures: 0,
  };
  const op = kv.atomic()
    .check({ key: webhookKey(locationId, endpoint.id), versionstamp: null })
    .set(webhookKey(locationId, endpoint.id), endpoint)
    .set(webhookCursorKey(endpoint.id), cursor)
    .set(webhooksVersionKey(), endpoint.id);
  if (context) {
    audit(op, kv, context, {
      scope: locationId,
      action: "webhook.create",
      target: webhookTarget(endpoint),
      after: publicWebhook(endpoint),
    });
  }
  const result = await op.commit();
  if (!result.ok) throw conflict("conflict", "The endpoint could not be created; try again.");
  return endpoint;
}

/** A location's endpoints, oldest first. */
export async function listEndpoints(kv: Deno.Kv, locationId: string): Promise<WebhookEndpoint[]> {
  const endpoints: WebhookEndpoint[] = [];
  for await (const entry of kv.list<WebhookEndpoint>({ prefix: webhooksPrefix(locationId) })) {
    endpoints.push(entry.value);
  }
  return endpoints;
}

/** Every location's endpoints (what a delivering process follows). */
export async function listAllEndpoints(kv: Deno.Kv): Promise<WebhookEndpoint[]> {
  const endpoints: WebhookEndpoint[] = [];
  for await (const entry of kv.list<WebhookEndpoint>({ prefix: allWebhooksPrefix() })) {
    endpoints.push(entry.value);
  }
  return endpoints;
}

/** An endpoint of the location, or null. */
export async function getEndpoint(
  kv: Deno.Kv,
  locationId: string,
  endpointId: string,
): Promise<WebhookEndpoint | null> {
  return (await kv.get<WebhookEndpoint>(webhookKey(locationId, endpointId))).value;
}

/** Deletes an endpoint, its cursor and its lease; its delivery log expires on its own. */
export async function deleteEndpoint(
  kv: Deno.Kv,
  locationId: string,
  endpointId: string,
  context?: AuditContext,
): Promise<WebhookEndpoint> {
  const entry = await kv.get<WebhookEndpoint>(webhookKey(locationId, endpointId));
  if (!entry.value) throw notFound("Webhook");
  const op = kv.atomic()
    .check(entry)
    .delete(entry.key)
    .delete(webhookCursorKey(endpointId))
    .delete(webhookLeaseKey(endpointId))
    .set(webhooksVersionKey(), endpointId);
  if (context) {
    audit(op, kv, context, {
      scope: locationId,
      action: "webhook.delete",
      target: webhookTarget(entry.value),
      before: publicWebhook(entry.value),
    });
  }
  const result = await op.commit();
  if (!result.ok) throw conflict("conflict", "The endpoint changed meanwhile; try again.");
  return entry.value;
}

/**
 * Changes an endpoint's events, description or enabled state. Enabling a disabled endpoint also
 * ends its failure streak, so its retry budget starts again.
 */
export async function updateEndpoint(
  kv: Deno.Kv,
  locationId: string,
  endpointId: string,
  input: UpdateWebhookInput,
  context?: AuditContext,
): Promise<{ before: WebhookEndpoint; after: WebhookEndpoint }> {
  const entry = await kv.get<WebhookEndpoint>(webhookKey(locationId, endpointId));
  if (!entry.value) throw notFound("Webhook");
  const before = entry.value;
  const enabling = input.enabled === true && !before.enabled;
  const disabling = input.enabled === false && before.enabled;
  const after: WebhookEndpoint = {
    ...before,
    ...(input.events ? { events: [...input.events] } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    ...(enabling ? { disabledAt: null, disabledReason: null } : {}),
    ...(disabling
      ? { disabledAt: new Date().toISOString(), disabledReason: "Disabled by staff." }
      : {}),
    updatedAt: new Date().toISOString(),
  };
  const op = kv.atomic().check(entry).set(entry.key, after).set(webhooksVersionKey(), endpointId);
  if (enabling) {
    const cursor = await kv.get<WebhookCursor>(webhookCursorKey(endpointId));
    if (cursor.value) {
      op.check(cursor).set(cursor.key, { ...cursor.value, failingSince: null, failures: 0 });
    }
  }
  if (context) {
    audit(op, kv, context, {
      scope: locationId,
      action: "webhook.update",
      target: webhookTarget(after),
      before: publicWebhook(before),
      after: publicWebhook(after),
    });
  }
  if (!(await op.commit()).ok) {
    throw conflict("conflict", "The endpoint changed meanwhile; try again.");
  }
  return { before, after };
}

/**
 * Moves an endpoint's cursor back to just before the first feed entry committed at or after
 * `since`, so every matching event from then on is sent again, in order. `since` must lie within
 * the feed's retention. Scans the feed from its oldest entry (values, in batches).
 */
export async function replayEndpoint(
  kv: Deno.Kv,
  endpoint: WebhookEndpoint,
  since: string,
  retentionMs: number,
  context?: AuditContext,
): Promise<{ from: FeedPosition | null }> {
  const sinceMs = Date.parse(since);
  const now = Date.now();
  if (!(sinceMs >= now - retentionMs) || sinceMs > now) {
    throw invalid("`since` must be a time within the change feed's retention, not in the future.", [
      { path: "since", message: `From ${new Date(now - retentionMs).toISOString()} to now.` },
    ]);
  }
  const epoch = await readFeedEpoch(kv);
  const from = await positionBefore(kv, endpoint.locationId, sinceMs);
  const cursorKey = webhookCursorKey(endpoint.id);
  const cursor = await kv.get<WebhookCursor>(cursorKey);
  const position = from ? { ...from, ...(epoch ? { epoch } : {}) } : null;
  const next: WebhookCursor = {
    position,
    at: now,
    failingSince: cursor.value?.failingSince ?? null,
    failures: 0,
  };
  const current = cursor.value?.position;
  if (current && position && comparePositions(position, current) > 0) {
    // Nothing was delivered from that far yet: a replay never skips ahead.
    return { from: current };
  }
  const record = await kv.get<WebhookEndpoint>(webhookKey(endpoint.locationId, endpoint.id));
  if (!record.value) throw notFound("Webhook");
  const op = kv.atomic()
    .check(record, cursor)
    .set(cursorKey, next)
    .set(webhooksVersionKey(), endpoint.id);
  if (context) {
    audit(op, kv, context, {
      scope: endpoint.locationId,
      action: "webhook.replay",
      target: webhookTarget(endpoint),
      before: { position: cursor.value?.position ?? null },
      after: { since, position },
    });
  }
  const moved = await op.commit();
  if (!moved.ok) throw conflict("conflict", "Delivery moved meanwhile; try again.");
  return { from: position };
}

/**
 * The position just before the first feed entry committed at or after `sinceMs` (null: the
 * feed's start), or the feed's head when there is none. Scans the feed from its oldest entry.
 */
export async function positionBefore(
  kv: Deno.Kv,
  locationId: string,
  sinceMs: number,
): Promise<FeedPosition | null> {
  let before: FeedPosition | null = null;
  const entries = kv.list<Uint8Array>({ prefix: eventsPrefix(locationId) }, { batchSize: 200 });
  for await (const { key, value } of entries) {
    const entry = decodeFeedEntry(value);
    if (Date.parse(entry.at) >= sinceMs) return before;
    before = { versionstamp: key[key.length - 1] as string, index: entry.changes.length - 1 };
  }
  return before;
}

/** The feed's head as a cursor position (with the feed's epoch), or null when it is empty. */
async function headPosition(kv: Deno.Kv, locationId: string): Promise<FeedPosition | null> {
  const [epoch, newest] = await Promise.all([
    readFeedEpoch(kv),
    newestPosition(kv, locationId),
  ]);
  return newest ? { ...newest, ...(epoch ? { epoch } : {}) } : null;
}

/** One page of an endpoint's delivery attempts, newest first. */
export async function listDeliveries(
  kv: Deno.Kv,
  endpointId: string,
  options: { cursor?: string; limit: number },
): Promise<{ deliveries: Delivery[]; cursor: string }> {
  const prefix = webhookDeliveriesPrefix(endpointId);
  const selector: Deno.KvListSelector = options.cursor
    ? { prefix, end: webhookDeliveryKey(endpointId, options.cursor) }
    : { prefix };
  const deliveries: Delivery[] = [];
  let more = false;
  for await (
    const entry of kv.list<StoredDelivery>(selector, {
      reverse: true,
      limit: options.limit + 1,
    })
  ) {
    if (deliveries.length === options.limit) {
      more = true;
      break;
    }
    const { expiresAt: _expiresAt, ...delivery } = entry.value;
    deliveries.push(delivery);
  }
  return { deliveries, cursor: more ? deliveries[deliveries.length - 1].id : "" };
}
