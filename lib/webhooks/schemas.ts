/** The webhook resources as zod schemas: they validate requests and describe them in OpenAPI. */
import { z } from "@hono/zod-openapi";
import { WEBHOOK_EVENTS } from "./events.ts";

const isoTime = z.string().openapi({ format: "date-time", example: "2026-11-25T12:00:00.000Z" });

const EventsSchema = z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length)
  .refine((events) => new Set(events).size === events.length, "Each event at most once.")
  .openapi({ description: "The event types this endpoint receives." });

/** `POST /api/webhooks`. */
export const CreateWebhookInput = z.object({
  url: z.string().trim().min(1).max(2000).openapi({
    description: "An http(s) URL that resolves to public addresses only (unless the server " +
      "allows private ones). No redirects are followed.",
    example: "https://pos.example.com/seatserve",
  }),
  events: EventsSchema,
  description: z.string().trim().max(200).optional(),
}).openapi("CreateWebhook", {
  example: {
    url: "https://pos.example.com/seatserve",
    events: ["order.created", "order.updated"],
    description: "Kitchen printer bridge",
  },
});

/** `PATCH /api/webhooks/{id}`. */
export const UpdateWebhookInput = z.object({
  enabled: z.boolean().optional().openapi({
    description: "`true` re-enables a disabled endpoint: delivery goes on from the event it " +
      "stopped at. `false` pauses it (events wait in the feed, within its retention).",
  }),
  events: EventsSchema.optional(),
  description: z.string().trim().max(200).optional(),
}).refine((input) => Object.keys(input).length > 0, "Send at least one field.")
  .openapi("UpdateWebhook");

/** `POST /api/webhooks/{id}/replay`. */
export const ReplayWebhookInput = z.object({
  since: z.iso.datetime({ offset: true }).openapi({
    description: "Re-send every matching event committed at or after this time (within the " +
      "change feed's retention), in commit order, then go on with new ones.",
  }),
}).openapi("ReplayWebhook", { example: { since: "2026-11-25T12:00:00.000Z" } });

/** An endpoint as listed (never with its secret). */
export const WebhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  description: z.string().nullable(),
  enabled: z.boolean(),
  disabledAt: isoTime.nullable(),
  disabledReason: z.string().nullable().openapi({
    description: "Why delivery stopped: the endpoint kept failing for the whole retry budget.",
  }),
  createdAt: isoTime,
  updatedAt: isoTime,
}).openapi("Webhook");

/** The answer to `POST /api/webhooks`: the endpoint and its signing secret, shown only here. */
export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description: "The Standard Webhooks signing secret (`whsec_` + base64). Shown only once.",
  }),
}).openapi("CreatedWebhook");

/** One delivery attempt. */
export const DeliverySchema = z.object({
  id: z.string(),
  at: isoTime.openapi({ description: "When the attempt started." }),
  messageId: z.string().openapi({ description: "The `webhook-id` sent." }),
  type: z.enum(WEBHOOK_EVENTS),
  attempt: z.number().int().openapi({ description: "1 for the first try of this event." }),
  status: z.number().int().nullable().openapi({ description: "The HTTP status answered." }),
  error: z.string().nullable().openapi({
    description: "Why no answer counted (timeout, refused connection, refused address).",
  }),
  durationMs: z.number(),
  ok: z.boolean(),
}).openapi("WebhookDelivery");

/** A page of delivery attempts, newest first. */
export const DeliveriesPageSchema = z.object({
  deliveries: z.array(DeliverySchema),
  cursor: z.string().openapi({ description: "Pass as `?cursor=` for the next page; empty last." }),
}).openapi("WebhookDeliveries");

export type CreateWebhookInput = z.infer<typeof CreateWebhookInput>;
export type UpdateWebhookInput = z.infer<typeof UpdateWebhookInput>;
export type Webhook = z.infer<typeof WebhookSchema>;
export type Delivery = z.infer<typeof DeliverySchema>;
