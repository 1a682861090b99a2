/**
 * Every Deno KV key the service uses, built here and nowhere else.
 * All location data lives under the location's id so that locations stay isolated.
 */

/**
 * The first parts of the keys whose entries are written with `expireIn`. Each such value carries
 * its own `expiresAt` (ms since the epoch, or an ISO time), since a store's API does not return an
 * entry's expiry: an import re-applies it from there. A new expiring key must be listed here.
 */
export const EXPIRING_KEY_KINDS: readonly string[] = [
  "idempotency",
  "events",
  "session",
  "session_by_staff",
  "auth_token",
  "webhook_delivery",
  "oauth_state",
  "audit",
];

/** The first part of change-feed entry keys (`eventKey`), which an import re-appends in order. */
export const FEED_KEY_KIND = "events";
/** The first part of feed head keys (`eventsHeadKey`), which an import rewrites. */
export const FEED_HEAD_KEY_KIND = "events_head";

/** A location by id. */
export function locationKey(locationId: string): Deno.KvKey {
  return ["location", locationId];
}
/** Prefix of all locations (ordered by id, so by creation). */
export function locationsPrefix(): Deno.KvKey {
  return ["location"];
}
/** Unique index: slug → location id. */
export function locationBySlugKey(slug: string): Deno.KvKey {
  return ["location_by_slug", slug];
}

/** Bumped in every commit that changes a location's menu items or tables. Watched by caches. */
export function catalogVersionKey(locationId: string): Deno.KvKey {
  return ["catalog_version", locationId];
}
/** A menu item. */
export function menuItemKey(locationId: string, itemId: string): Deno.KvKey {
  return ["menu_item", locationId, itemId];
}
/** Prefix of a location's menu items. */
export function menuItemsPrefix(locationId: string): Deno.KvKey {
  return ["menu_item", locationId];
}

/** A table. */
export function tableKey(locationId: string, tableId: string): Deno.KvKey {
  return ["table", locationId, tableId];
}
/** Prefix of a location's tables. */
export function tablesPrefix(locationId: string): Deno.KvKey {
  return ["table", locationId];
}
/** Unique index: table number → table id, per location. */
export function tableByNumberKey(locationId: string, number: number): Deno.KvKey {
  return ["table_by_number", locationId, number];
}
/** Unique index: QR token → `{ locationId, tableId }` (guests arrive with only the token). */
export function tableByTokenKey(token: string): Deno.KvKey {
  return ["table_by_token", token];
}

/** An order. Ids are time-ordered, so the prefix lists oldest first. */
export function orderKey(locationId: string, orderId: string): Deno.KvKey {
  return ["order", locationId, orderId];
}
/** Prefix of a location's orders. */
export function ordersPrefix(locationId: string): Deno.KvKey {
  return ["order", locationId];
}
/** Index: orders by status (value null; the id is the last key part). */
export function orderByStatusKey(locationId: string, status: string, orderId: string): Deno.KvKey {
  return ["order_by_status", locationId, status, orderId];
}
/** Prefix of the status index for one status. */
export function ordersByStatusPrefix(locationId: string, status: string): Deno.KvKey {
  return ["order_by_status", locationId, status];
}
/** Index: orders by table (value null). */
export function orderByTableKey(locationId: string, tableId: string, orderId: string): Deno.KvKey {
  return ["order_by_table", locationId, tableId, orderId];
}
/** Prefix of the table index for one table. */
export function ordersByTablePrefix(locationId: string, tableId: string): Deno.KvKey {
  return ["order_by_table", locationId, tableId];
}
/**
 * Index: the feed entries holding an order's changes, by versionstamp (value null), written
 * with each move: the entry of the order's previous change (its row's versionstamp then). With
 * the row's own versionstamp (its latest change) it lists every change of the order, so a
 * guest's resume reads that order's entries only, never the location's whole feed.
 */
export function orderChangeKey(locationId: string, orderId: string, versionstamp: string) {
  return [ORDER_CHANGES_KEY_KIND, locationId, orderId, versionstamp];
}
/** Prefix of one order's feed-entry index. */
export function orderChangesPrefix(locationId: string, orderId: string): Deno.KvKey {
  return [ORDER_CHANGES_KEY_KIND, locationId, orderId];
}
/**
 * The first part of the order feed-entry index's keys: versionstamps are one store's, so an
 * import into another skips them (its re-appended feed has new ones).
 */
export const ORDER_CHANGES_KEY_KIND = "order_changes";

/**
 * A remembered `Idempotency-Key` of a table. The client's key is kept as sent (1-255 printable
 * ASCII, checked at the edge) and comes before the table, so time-ordered keys (ULID, UUIDv7, a
 * counter) land next to each other in the store: a batch of them dirties a few pages instead of
 * one page each, which halves the store's cost of an order (BENCHMARKS.md).
 */
export function idempotencyKey(locationId: string, tableId: string, key: string): Deno.KvKey {
  return ["idempotency", locationId, key, tableId];
}

/** Change feed entry; `versionstamp` is `kv.commitVersionstamp()` when writing. */
export function eventKey(locationId: string, versionstamp: string | symbol): Deno.KvKey {
  return ["events", locationId, versionstamp as string];
}
/** Prefix of a location's change feed, in commit order. */
export function eventsPrefix(locationId: string): Deno.KvKey {
  return ["events", locationId];
}
/** Written in every change-feed commit; its versionstamp is the feed's head. Watched by hubs. */
export function eventsHeadKey(locationId: string): Deno.KvKey {
  return ["events_head", locationId];
}

/** The store's feed epoch: set by each import, since versionstamps cannot move between stores. */
export function feedEpochKey(): Deno.KvKey {
  return ["feed_epoch"];
}

/** A staff device token's record (for revocation and listing). */
export function authTokenKey(tokenId: string): Deno.KvKey {
  return ["auth_token", tokenId];
}
/** Prefix of every device token's record (ids are time-ordered: oldest first). */
export function authTokensPrefix(): Deno.KvKey {
  return ["auth_token"];
}
/** A staff session, by the SHA-256 of its id (the cookie's value). */
export function sessionKey(idHash: string): Deno.KvKey {
  return ["session", idHash];
}
/**
 * Index: a signed-in staff member's sessions (value `{ expiresAt }`), so that removing them
 * from the directory ends every one of their sessions at once.
 */
export function sessionByStaffKey(locationId: string, email: string, idHash: string): Deno.KvKey {
  return ["session_by_staff", locationId, email, idHash];
}
/** Prefix of one staff member's sessions. */
export function sessionsByStaffPrefix(locationId: string, email: string): Deno.KvKey {
  return ["session_by_staff", locationId, email];
}
/** A sign-in in flight: its PKCE verifier, nonce and where to go next, by its `state`. */
export function oauthStateKey(state: string): Deno.KvKey {
  return ["oauth_state", state];
}
/** A staff member of a location, by email (lower case). */
export function staffMemberKey(locationId: string, email: string): Deno.KvKey {
  return ["staff", locationId, email];
}
/** Prefix of a location's staff directory (by email). */
export function staffPrefix(locationId: string): Deno.KvKey {
  return ["staff", locationId];
}

/**
 * An audit entry of a location (or of `AUDIT_SERVER_SCOPE`, for security events tied to no
 * location). Ids are time-ordered, so the prefix lists oldest first.
 */
export function auditEntryKey(scope: string, entryId: string): Deno.KvKey {
  return ["audit", scope, entryId];
}
/** Prefix of one scope's audit log. */
export function auditPrefix(scope: string): Deno.KvKey {
  return ["audit", scope];
}

/**
 * The server's secrets: the bootstrap token's hash, and the single signing key of stores from
 * before key rotation (`signing_key`, moved into `signingKeysKey` as `k1` on first start).
 */
export function secretKey(name: "signing_key" | "bootstrap_token_hash"): Deno.KvKey {
  return ["secret", name];
}
/** The token-signing keys (`lib/auth/signing_keys.ts`): every key, which one is current. */
export function signingKeysKey(): Deno.KvKey {
  return ["secret", "signing_keys"];
}

/** A location's kitchen and floor settings (`lib/kitchen/settings.ts`); part of its catalog. */
export function settingsKey(locationId: string): Deno.KvKey {
  return ["settings", locationId];
}

/** A service request (a guest calling a server, asking for the bill...). Ids are time-ordered. */
export function serviceRequestKey(locationId: string, requestId: string): Deno.KvKey {
  return ["service_request", locationId, requestId];
}
/** Prefix of a location's service requests, oldest first. */
export function serviceRequestsPrefix(locationId: string): Deno.KvKey {
  return ["service_request", locationId];
}
/** Index: the location's open (unacknowledged) service requests (value null). */
export function openServiceRequestKey(locationId: string, requestId: string): Deno.KvKey {
  return ["service_request_open", locationId, requestId];
}
/** Prefix of the open service requests index. */
export function openServiceRequestsPrefix(locationId: string): Deno.KvKey {
  return ["service_request_open", locationId];
}

/**
 * Set (value null) in the commit of every new order of a table: its versionstamp is the table's
 * latest order commit, which a visit's close checks so no order slips in between (lib/visits).
 */
export function tableActivityKey(locationId: string, tableId: string): Deno.KvKey {
  return ["table_activity", locationId, tableId];
}
/**
 * Where a table's last visit ended: `{ visitId, closedAt }`, written by the close; its
 * versionstamp divides the table's orders into those of closed visits and the open one.
 */
export function visitBoundaryKey(locationId: string, tableId: string): Deno.KvKey {
  return ["visit_boundary", locationId, tableId];
}
/** A closed table visit, as it was closed. */
export function visitKey(locationId: string, visitId: string): Deno.KvKey {
  return ["visit", locationId, visitId];
}

/** The Postgres mirror's last published state and lag (`lib/mirror/status.ts`). */
export function mirrorStatusKey(): Deno.KvKey {
  return ["mirror_status"];
}

/** A webhook endpoint of a location (its secret included: it signs every delivery). */
export function webhookKey(locationId: string, endpointId: string): Deno.KvKey {
  return ["webhook", locationId, endpointId];
}
/** Prefix of a location's webhook endpoints (by creation). */
export function webhooksPrefix(locationId: string): Deno.KvKey {
  return ["webhook", locationId];
}
/** Prefix of every location's webhook endpoints (what a process delivers to). */
export function allWebhooksPrefix(): Deno.KvKey {
  return ["webhook"];
}
/** Bumped by every change to any webhook endpoint; watched by the processes that deliver. */
export function webhooksVersionKey(): Deno.KvKey {
  return ["webhooks_version"];
}
/** An endpoint's place in its location's change feed, and its failure streak. */
export function webhookCursorKey(endpointId: string): Deno.KvKey {
  return ["webhook_cursor", endpointId];
}
/** The process that delivers to an endpoint now, and until when (a lease). */
export function webhookLeaseKey(endpointId: string): Deno.KvKey {
  return ["webhook_lease", endpointId];
}
/** One delivery attempt to an endpoint, by a time-ordered id. */
export function webhookDeliveryKey(endpointId: string, attemptId: string): Deno.KvKey {
  return ["webhook_delivery", endpointId, attemptId];
}
/** Prefix of an endpoint's delivery attempts, oldest first. */
export function webhookDeliveriesPrefix(endpointId: string): Deno.KvKey {
  return ["webhook_delivery", endpointId];
}
