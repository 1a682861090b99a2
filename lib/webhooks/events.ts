/**
 * What webhooks tell: the event types of shared/API.md and how a change of the feed becomes one.
 * Pure: no I/O.
 */
import type { FeedChange } from "../feed/feed.ts";

/** The event types an endpoint may ask for. */
export const WEBHOOK_EVENTS = [
  "order.created",
  "order.updated",
  "menu.updated",
  "service_request.created",
] as const;

/** An event type. */
export type WebhookEventType = typeof WEBHOOK_EVENTS[number];

/** One event as sent: the body of a delivery (`{ type, timestamp, data }`). */
export interface WebhookEvent {
  type: WebhookEventType;
  /** When the change was committed (ISO 8601 UTC). */
  timestamp: string;
  data: unknown;
}

/**
 * The event a feed change is, or null when no event type covers it (tables, locations).
 * An order at version 1 was just created; any later change of it (status, lines, table) is an
 * update, timed by the order's `updatedAt`. A menu item's change, deletion included, is
 * `menu.updated` with the item and whether it was deleted, timed `now` (items carry no time of
 * their own): the time it was first read for delivery. A new service request (version 1) is
 * `service_request.created`, timed by its `createdAt`; its acknowledgement is no event.
 */
export function eventOf(change: FeedChange, locationId: string, now: string): WebhookEvent | null {
  switch (change.type) {
    case "order":
      return {
        type: change.order.version === 1 ? "order.created" : "order.updated",
        timestamp: change.order.updatedAt,
        data: change.order,
      };
    case "menu_item":
      return {
        type: "menu.updated",
        timestamp: now,
        data: { locationId, item: change.item, deleted: change.deleted },
      };
    case "service_request":
      // A request is created once (version 1); its acknowledgement is staff's own business.
      return change.request.version === 1
        ? {
          type: "service_request.created",
          timestamp: change.request.createdAt,
          data: change.request,
        }
        : null;
    default:
      return null;
  }
}

/**
 * The Standard Webhooks message id of a change: the same on every attempt and every replay. An
 * order's is its id and version (`msg_<order id>.<version>`: one per order change, and the same
 * after the store is exported and imported, where feed positions change); other changes' is
 * their feed event id (with the feed's epoch after an import).
 */
export function messageIdOf(change: FeedChange, epoch: string | undefined): string {
  if (change.type === "order") return `msg_${change.order.id}.${change.order.version}`;
  return `msg_${change.id}${epoch ? `.${epoch}` : ""}`;
}
