/** Webhook endpoints of a location: managed by owners and managers (shared/API.md, Webhooks). */
import { z } from "@hono/zod-openapi";
import { invalid } from "../../lib/errors.ts";
import { checkWebhookUrl } from "../../lib/webhooks/url_safety.ts";
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  publicWebhook,
  replayEndpoint,
  updateEndpoint,
} from "../../lib/webhooks/endpoints.ts";
import {
  CreatedWebhookSchema,
  CreateWebhookInput,
  DeliveriesPageSchema,
  ReplayWebhookInput,
  UpdateWebhookInput,
  WebhookSchema,
} from "../../lib/webhooks/schemas.ts";
import { notFound } from "../../lib/errors.ts";
import { auditOf } from "../middleware/auth.ts";
import {
  blankIsAbsent,
  errorResponses,
  jsonBody,
  jsonResponse,
  router,
  staffQuery,
  staffRoute,
} from "../openapi.ts";

const DELIVERY = "Delivery follows the Standard Webhooks specification: `POST` with headers " +
  "`webhook-id` (the same on every retry and replay of an event), `webhook-timestamp` (seconds) " +
  "and `webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, keyed with the " +
  "secret's base64 part), body `{ type, timestamp, data }`: `data` is the order for `order.*`, " +
  "`{ locationId, item, deleted }` for `menu.updated`. At least once, in commit order per " +
  "endpoint, one event at a time; any non-2xx answer, redirect or timeout is retried with " +
  "exponential backoff and jitter for the retry budget (24 h by default), then the endpoint is " +
  'disabled with the reason (`PATCH {"enabled": true}` re-enables it, from the event it ' +
  "stopped at). Answers are read up to 4 KiB; redirects are not followed.";

const idParam = z.object({ id: z.string().min(1).max(64) });

export const webhooks = router()
  .openapi(
    staffRoute("webhooks.manage", {
      method: "post",
      path: "/webhooks",
      tags: ["webhooks"],
      summary: "Register a webhook endpoint",
      description: "For the caller's location. The URL must resolve only to public addresses " +
        "(422 `url_private`, `url_unresolvable` otherwise) unless the server allows private " +
        "ones; it is checked again before every attempt. The endpoint hears of changes " +
        "committed from now on. At most 20 endpoints per location (409 `webhook_limit`). " +
        DELIVERY,
      request: { query: staffQuery(), body: jsonBody(CreateWebhookInput) },
      responses: {
        201: jsonResponse(CreatedWebhookSchema, "The endpoint with its secret: shown only here."),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      const { kv, config, webhooks } = c.get("services");
      const input = c.req.valid("json");
      const refusal = await checkWebhookUrl(input.url, {
        allowPrivate: config.webhooks.allowPrivate,
      });
      if (refusal) {
        throw invalid(refusal.message, [{ path: "url", message: refusal.message }], refusal.code);
      }
      const endpoint = await createEndpoint(kv, c.get("location").id, input, auditOf(c));
      await webhooks.changed(endpoint.id);
      return c.json({ ...publicWebhook(endpoint), secret: endpoint.secret }, 201);
    },
  )
  .openapi(
    staffRoute("webhooks.manage", {
      method: "get",
      path: "/webhooks",
      tags: ["webhooks"],
      summary: "List the location's webhook endpoints",
      description: "Oldest first, without secrets. " + DELIVERY,
      request: { query: staffQuery() },
      responses: {
        200: jsonResponse(z.object({ webhooks: z.array(WebhookSchema) }), "The endpoints."),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { kv } = c.get("services");
      const endpoints = await listEndpoints(kv, c.get("location").id);
      return c.json({ webhooks: endpoints.map(publicWebhook) }, 200);
    },
  )
  .openapi(
    staffRoute("webhooks.manage", {
      method: "patch",
      path: "/webhooks/{id}",
      tags: ["webhooks"],
      summary: "Change or re-enable a webhook endpoint",
      description: '`{ "enabled": true }` re-enables a disabled endpoint (its retry budget ' +
        "starts again) and delivery goes on from the event it stopped at; `events` and " +
        "`description` may change too.",
      request: { params: idParam, query: staffQuery(), body: jsonBody(UpdateWebhookInput) },
      responses: {
        200: jsonResponse(WebhookSchema, "The endpoint as it is now."),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      const { kv, webhooks } = c.get("services");
      const { after } = await updateEndpoint(
        kv,
        c.get("location").id,
        c.req.valid("param").id,
        c.req.valid("json"),
        auditOf(c),
      );
      await webhooks.changed(after.id);
      return c.json(publicWebhook(after), 200);
    },
  )
  .openapi(
    staffRoute("webhooks.manage", {
      method: "delete",
      path: "/webhooks/{id}",
      tags: ["webhooks"],
      summary: "Delete a webhook endpoint",
      description: "Delivery to it stops (an attempt under way may still arrive).",
      request: { params: idParam, query: staffQuery() },
      responses: { 204: { description: "Deleted." }, ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { kv, webhooks } = c.get("services");
      const deleted = await deleteEndpoint(
        kv,
        c.get("location").id,
        c.req.valid("param").id,
        auditOf(c),
      );
      await webhooks.changed(deleted.id);
      return c.body(null, 204);
    },
  )
  .openapi(
    staffRoute("webhooks.manage", {
      method: "get",
      path: "/webhooks/{id}/deliveries",
      tags: ["webhooks"],
      summary: "An endpoint's delivery attempts",
      description: "Newest first: each attempt's time, `webhook-id`, event type, attempt number, " +
        "status code or error, and duration. Kept for `SEATSERVE_WEBHOOKS_LOG_DAYS` (3 days by " +
        "default).",
      request: {
        params: idParam,
        query: staffQuery({
          cursor: z.string().max(64).optional().openapi({
            description: "The previous page's `cursor`.",
          }),
          limit: blankIsAbsent(z.coerce.number().int().min(1).max(200).default(50)),
        }),
      },
      responses: {
        200: jsonResponse(DeliveriesPageSchema, "A page of attempts."),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { kv } = c.get("services");
      const { id } = c.req.valid("param");
      const { cursor, limit } = c.req.valid("query");
      if (!await getEndpoint(kv, c.get("location").id, id)) throw notFound("Webhook");
      return c.json(await listDeliveries(kv, id, { cursor: cursor || undefined, limit }), 200);
    },
  )
  .openapi(
    staffRoute("webhooks.manage", {
      method: "post",
      path: "/webhooks/{id}/replay",
      tags: ["webhooks"],
      summary: "Re-send events from a time",
      description: "Every event the endpoint asks for, committed at or after `since` (within the " +
        "change feed's retention: 422 otherwise), is sent again in commit order with its " +
        "original `webhook-id`, then delivery goes on with new ones. A replay never skips " +
        "events not delivered yet. Finding the place scans the feed from its oldest entry.",
      request: { params: idParam, query: staffQuery(), body: jsonBody(ReplayWebhookInput) },
      responses: {
        202: jsonResponse(
          z.object({
            id: z.string(),
            since: z.string(),
            from: z.string().nullable().openapi({
              description: "The feed event id delivery goes on after (null: the feed's start).",
            }),
          }),
          "The replay is under way.",
        ),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      const { kv, config, webhooks } = c.get("services");
      const { id } = c.req.valid("param");
      const { since } = c.req.valid("json");
      const endpoint = await getEndpoint(kv, c.get("location").id, id);
      if (!endpoint) throw notFound("Webhook");
      const { from } = await replayEndpoint(
        kv,
        endpoint,
        since,
        config.eventRetentionMs,
        auditOf(c),
      );
      await webhooks.changed(id);
      const fromId = from ? `${from.versionstamp}-${from.index}` : null;
      return c.json({ id, since, from: fromId }, 202);
    },
  );
