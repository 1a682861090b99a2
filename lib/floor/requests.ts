/**
 * Service requests: a guest calls a server, asks for the bill, for water... Each is one record
 * and an entry in the open index while unacknowledged; creation and acknowledgement each commit
 * with a `service_request` change on the location's feed, so the kitchen stream (floor roles),
 * the mirror and webhooks see them.
 */
import { z } from "@hono/zod-openapi";
import { conflict, notFound } from "../errors.ts";
import { appendToFeed, type ChangeData } from "../feed/feed.ts";
import { newId } from "../kv/ids.ts";
import {
  openServiceRequestKey,
  openServiceRequestsPrefix,
  serviceRequestKey,
  serviceRequestsPrefix,
} from "../kv/keys.ts";
import { retryOnConflict } from "../kv/retry.ts";
import type { Table } from "../schemas.ts";

export const SERVICE_REQUEST_KINDS = ["call_server", "bill", "water", "other"] as const;

export const ServiceRequestSchema = z.object({
  id: z.string(),
  locationId: z.string(),
  tableId: z.string(),
  tableNumber: z.number().int(),
  kind: z.enum(SERVICE_REQUEST_KINDS),
  note: z.string(),
  status: z.enum(["open", "acknowledged"]),
  createdAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  version: z.number().int(),
}).openapi("ServiceRequest");
/** A service request. */
export type ServiceRequest = z.infer<typeof ServiceRequestSchema>;

export const CreateServiceRequestInput = z.object({
  tableToken: z.string().min(1).max(200),
  kind: z.enum(SERVICE_REQUEST_KINDS),
  note: z.string().trim().max(200).optional(),
}).openapi("CreateServiceRequest");
export type CreateServiceRequestInput = z.infer<typeof CreateServiceRequestInput>;

/** Creates a request for `table` (the caller checked the token and the rate limit). */
export async function createServiceRequest(
  kv: Deno.Kv,
  request: { table: Table; kind: ServiceRequest["kind"]; note?: string; retentionMs: number },
): Promise<ServiceRequest> {
  const now = new Date();
  const created: ServiceRequest = {
    id: newId(),
    locationId: request.table.locationId,
    tableId: request.table.id,
    tableNumber: request.table.number,
    kind: request.kind,
    note: request.note ?? "",
    status: "open",
    createdAt: now.toISOString(),
    acknowledgedAt: null,
    acknowledgedBy: null,
    version: 1,
  };
  const { locationId, id } = created;
  const op = kv.atomic()
    .check({ key: serviceRequestKey(locationId, id), versionstamp: null })
    .set(serviceRequestKey(locationId, id), created)
    .set(openServiceRequestKey(locationId, id), null);
  appendToFeed(op, kv, locationId, {
    at: created.createdAt,
    retentionMs: request.retentionMs,
    others: [{ type: "service_request", request: created }],
  });
  if (!(await op.commit()).ok) throw new Error("a fresh service request id was taken");
  return created;
}

/**
 * Acknowledges a request (a server is on their way), checked against what was read; one already
 * acknowledged is a 409 `already_acknowledged`. `addToCommit` adds to the same atomic op.
 */
export async function acknowledgeServiceRequest(
  kv: Deno.Kv,
  request: {
    locationId: string;
    requestId: string;
    by: string;
    retentionMs: number;
    /** More for the same atomic op (an audit entry); returns changes for its feed entry. */
    addToCommit?: (
      op: Deno.AtomicOperation,
      before: ServiceRequest,
      after: ServiceRequest,
    ) => ChangeData[] | void;
  },
): Promise<ServiceRequest> {
  const { locationId, requestId } = request;
  return await retryOnConflict(async () => {
    const entry = await kv.get<ServiceRequest>(serviceRequestKey(locationId, requestId));
    if (!entry.value) throw notFound("Service request");
    const before = entry.value;
    if (before.status !== "open") {
      throw conflict(
        "already_acknowledged",
        `This request was acknowledged at ${before.acknowledgedAt} by ${before.acknowledgedBy}.`,
      );
    }
    const now = new Date().toISOString();
    const after: ServiceRequest = {
      ...before,
      status: "acknowledged",
      acknowledgedAt: now,
      acknowledgedBy: request.by,
      version: before.version + 1,
    };
    const op = kv.atomic().check(entry)
      .set(serviceRequestKey(locationId, requestId), after)
      .delete(openServiceRequestKey(locationId, requestId));
    const more = request.addToCommit?.(op, before, after) ?? [];
    appendToFeed(op, kv, locationId, {
      at: now,
      retentionMs: request.retentionMs,
      others: [{ type: "service_request", request: after }, ...more],
    });
    return (await op.commit()).ok ? after : null;
  });
}

/** The location's open requests, oldest first (at most `limit`). */
export async function listOpenServiceRequests(
  kv: Deno.Kv,
  locationId: string,
  limit = 500,
): Promise<ServiceRequest[]> {
  const ids: string[] = [];
  for await (
    const entry of kv.list({ prefix: openServiceRequestsPrefix(locationId) }, { limit })
  ) ids.push(entry.key[entry.key.length - 1] as string);
  return await getServiceRequests(kv, locationId, ids);
}

/** The location's requests newest first, open or not (at most `limit`). */
export async function listServiceRequests(
  kv: Deno.Kv,
  locationId: string,
  limit = 100,
): Promise<ServiceRequest[]> {
  const found: ServiceRequest[] = [];
  for await (
    const entry of kv.list<ServiceRequest>({ prefix: serviceRequestsPrefix(locationId) }, {
      limit,
      reverse: true,
    })
  ) found.push(entry.value);
  return found;
}

async function getServiceRequests(
  kv: Deno.Kv,
  locationId: string,
  ids: string[],
): Promise<ServiceRequest[]> {
  const out: ServiceRequest[] = [];
  for (let i = 0; i < ids.length; i += 10) {
    const chunk = ids.slice(i, i + 10).map((id) => serviceRequestKey(locationId, id));
    for (const entry of await kv.getMany<ServiceRequest[]>(chunk)) {
      if (entry.value) out.push(entry.value);
    }
  }
  return out;
}
