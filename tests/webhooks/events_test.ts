/** Webhook events (lib/webhooks/events.ts): which feed changes become which events. */
import assert from "node:assert/strict";
import type { FeedChange } from "../../lib/feed/feed.ts";
import { eventOf } from "../../lib/webhooks/events.ts";

const NOW = "2026-12-02T01:00:00.000Z";
const request = {
  id: "r1",
  locationId: "l1",
  tableId: "t1",
  tableNumber: 4,
  kind: "bill" as const,
  note: "",
  status: "open" as const,
  createdAt: "2026-12-02T00:59:00.000Z",
  acknowledgedAt: null,
  acknowledgedBy: null,
  version: 1,
};
const position = { versionstamp: "00000000000000010000", index: 0, id: "00000000000000010000-0" };

Deno.test("[webhooks] a new service request is service_request.created; its ack is no event", () => {
  const created = { type: "service_request", request, ...position } as unknown as FeedChange;
  assert.deepEqual(eventOf(created, "l1", NOW), {
    type: "service_request.created",
    timestamp: request.createdAt,
    data: request,
  });
  const acked = {
    type: "service_request",
    request: { ...request, status: "acknowledged", version: 2, acknowledgedAt: NOW },
    ...position,
  } as unknown as FeedChange;
  assert.equal(eventOf(acked, "l1", NOW), null);
});
