/** Service requests: guests call a server or ask for the bill; servers see and acknowledge them. */
import { createRoute, z } from "@hono/zod-openapi";
import { actor } from "../../lib/auth/principal.ts";
import { auditHook } from "../../lib/audit/hook.ts";
import { auditOf } from "../middleware/auth.ts";
import { unauthorized } from "../../lib/errors.ts";
import {
  acknowledgeServiceRequest,
  createServiceRequest,
  CreateServiceRequestInput,
  listOpenServiceRequests,
  listServiceRequests,
  ServiceRequestSchema,
} from "../../lib/floor/requests.ts";
import {
  blankIsAbsent,
  errorResponses,
  jsonBody,
  jsonResponse,
  router,
  staffQuery,
  staffRoute,
} from "../openapi.ts";

export const serviceRequests = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/service-requests",
      tags: ["service requests"],
      summary: "Call a server, ask for the bill (guest)",
      description: "With the table's token. Rate limited per table (429 `rate_limited` with " +
        "`Retry-After`). Servers see it at once on the kitchen stream (`request` event).",
      request: { body: jsonBody(CreateServiceRequestInput) },
      responses: {
        201: jsonResponse(ServiceRequestSchema, "The request."),
        ...errorResponses(400, 401, 413, 415, 422, 429),
      },
    }),
    async (c) => {
      const { catalog, kv, config, limits } = c.get("services");
      const input = c.req.valid("json");
      const found = catalog.peekTable(input.tableToken) ??
        await catalog.findByToken(input.tableToken);
      if (!found) {
        throw unauthorized(
          "This table code is not valid; scan the table's QR code again.",
          "invalid_table_token",
        );
      }
      limits.take("serviceRequestsPerTable", found.table.id);
      const request = await createServiceRequest(kv, {
        table: found.table,
        kind: input.kind,
        note: input.note,
        retentionMs: config.eventRetentionMs,
      });
      return c.json(request, 201);
    },
  )
  .openapi(
    staffRoute("requests.manage", {
      method: "get",
      path: "/service-requests",
      tags: ["service requests"],
      summary: "List service requests",
      description: "`?open=true`: the unacknowledged ones, oldest first; otherwise the latest " +
        "100, newest first.",
      request: {
        query: staffQuery({
          open: blankIsAbsent(z.enum(["true", "false"]).optional()),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({ requests: z.array(ServiceRequestSchema) }),
          "The requests.",
        ),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { kv } = c.get("services");
      const locationId = c.get("location").id;
      const requests = c.req.valid("query").open === "true"
        ? await listOpenServiceRequests(kv, locationId)
        : await listServiceRequests(kv, locationId);
      return c.json({ requests }, 200);
    },
  )
  .openapi(
    staffRoute("requests.manage", {
      method: "post",
      path: "/service-requests/{id}/ack",
      tags: ["service requests"],
      summary: "Acknowledge a service request",
      description: "A request already acknowledged is a 409 `already_acknowledged`.",
      request: { params: z.object({ id: z.string().min(1).max(64) }), query: staffQuery() },
      responses: {
        200: jsonResponse(ServiceRequestSchema, "The request, acknowledged."),
        ...errorResponses(400, 401, 403, 404, 409, 503),
      },
    }),
    async (c) => {
      const { kv, config } = c.get("services");
      const locationId = c.get("location").id;
      const request = await acknowledgeServiceRequest(kv, {
        locationId,
        requestId: c.req.valid("param").id,
        by: actor(c.get("principal")),
        retentionMs: config.eventRetentionMs,
        addToCommit: auditHook(auditOf(c), locationId, (before, after) => ({
          action: "service_request.acknowledge",
          target: { type: "service_request", id: after.id },
          before: { status: before.status },
          after: { status: after.status, acknowledgedBy: after.acknowledgedBy },
        })),
      });
      return c.json(request, 200);
    },
  );
