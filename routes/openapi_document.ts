/**
 * The OpenAPI description as integrators get it (`GET /openapi.json`): generated from the zod
 * routes, then completed in one place with what generated clients and linters need: a stable
 * `operationId` for every operation (verb + noun), `security: []` on public ones, a 400 for the
 * HTTP layer's refusals where a route names no 4xx, the 429 and 503 any request may meet (rate
 * limits, stream caps, a drain), tag descriptions, the version and license.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./state.ts";

/** The API's version: v1.1 of the contract (shared/API.md). */
export const API_VERSION = "1.1.0";

/** Every operation's id, by `METHOD path`. A route missing here fails a test. */
export const OPERATION_IDS: Record<string, string> = {
  "GET /api/health": "getHealth",
  "GET /api/health/live": "getLiveness",
  "GET /api/health/ready": "getReadiness",
  "GET /api/menu": "getMenu",
  "GET /api/menu/stream": "followMenu",
  "GET /api/menu/items": "listMenuItems",
  "POST /api/menu/items": "createMenuItem",
  "PATCH /api/menu/items/{id}": "updateMenuItem",
  "DELETE /api/menu/items/{id}": "deleteMenuItem",
  "PATCH /api/menu/items/{id}/options/{optionId}": "setOptionAvailability",
  "GET /api/tables": "listTables",
  "POST /api/tables": "createTable",
  "PATCH /api/tables/{id}": "updateTable",
  "DELETE /api/tables/{id}": "deleteTable",
  "GET /api/tables/{id}/qr.svg": "getTableQrCode",
  "POST /api/tables/{id}/rotate-token": "createTableToken",
  "POST /api/orders": "createOrder",
  "GET /api/orders": "listOrders",
  "GET /api/orders/{id}": "getOrder",
  "PATCH /api/orders/{id}": "updateOrderStatus",
  "GET /api/orders/{id}/events": "followOrder",
  "GET /api/kitchen/stream": "followKitchen",
  "GET /api/locations": "listLocations",
  "POST /api/locations": "createLocation",
  "PATCH /api/locations/{id}": "updateLocation",
  "GET /api/auth/tokens": "listDeviceTokens",
  "POST /api/auth/tokens": "createDeviceToken",
  "DELETE /api/auth/tokens/{id}": "revokeDeviceToken",
  "GET /api/analytics/summary": "getAnalyticsSummary",
  "POST /api/webhooks": "createWebhook",
  "GET /api/webhooks": "listWebhooks",
  "PATCH /api/webhooks/{id}": "updateWebhook",
  "DELETE /api/webhooks/{id}": "deleteWebhook",
  "GET /api/webhooks/{id}/deliveries": "listWebhookDeliveries",
  "POST /api/webhooks/{id}/replay": "createWebhookReplay",
  "POST /api/orders/{id}/lines/{index}/ready": "setOrderLineReady",
  "DELETE /api/orders/{id}/lines/{index}/ready": "deleteOrderLineReady",
  "GET /api/settings": "getSettings",
  "PATCH /api/settings": "updateSettings",
  "POST /api/service-requests": "createServiceRequest",
  "GET /api/service-requests": "listServiceRequests",
  "POST /api/service-requests/{id}/ack": "setServiceRequestAcknowledged",
  "GET /api/tables/{id}/visit": "getTableVisit",
  "POST /api/tables/{id}/visit/close": "setTableVisitClosed",
  "GET /api/visit": "getOpenVisit",
  "GET /api/me": "getMe",
  "GET /api/staff": "listStaff",
  "PUT /api/staff/{email}": "setStaffMember",
  "DELETE /api/staff/{email}": "deleteStaffMember",
  "GET /api/audit": "listAuditEntries",
};

const TAGS = [
  { name: "menu", description: "The menu guests read and follow, and its management." },
  { name: "orders", description: "Placing, reading, following and moving orders." },
  {
    name: "kitchen",
    description: "The kitchen's live view of a location's orders, by station, and line readiness.",
  },
  {
    name: "settings",
    description: "A location's kitchen and floor settings: auto-accept, pacing, pause.",
  },
  {
    name: "service requests",
    description: "Guests calling a server or asking for the bill; servers acknowledging them.",
  },
  { name: "visits", description: "Table visits: the running bill from a table's first order." },
  { name: "tables", description: "A location's tables and their QR codes." },
  { name: "locations", description: "Restaurants (owners only)." },
  { name: "auth", description: "Device tokens for shared screens, and who the caller is." },
  { name: "staff", description: "The staff directory: who may sign in, with which role." },
  { name: "audit", description: "Who did what: staff mutations and security events." },
  { name: "analytics", description: "Figures from the Postgres mirror." },
  {
    name: "webhooks",
    description: "Signed deliveries of order and menu events (Standard Webhooks) to integrations.",
  },
  { name: "system", description: "Health and readiness probes." },
];

const INFO = {
  title: "SeatServe",
  version: API_VERSION,
  description:
    "QR table ordering: guests order from their table, the kitchen and staff move orders along. " +
    'Every error has one body, `{ "error": { "code", "message", "details"? } }`. Staff ' +
    "authenticate with `Authorization: Bearer <token>` or a session cookie; event streams also " +
    "take `?access_token=`. Sessions come from the sign-in pages, which are not part of this " +
    "API: `GET /auth/signin?location=<slug>&next=<path>` (OpenID Connect; 404 " +
    "`sign_in_not_configured` without `OIDC_*`), `GET /auth/callback`, `POST /auth/signout` " +
    "(with `X-CSRF-Token`, 204), and device sign-in by opening any page with " +
    "`?access_token=<device token>` (303 to the same URL without it). A cookie-authenticated " +
    "POST, PUT, PATCH or DELETE needs `X-CSRF-Token` (from `GET /api/me`).",
  license: { name: "MIT", identifier: "MIT" },
};

type Operation = {
  operationId?: string;
  security?: unknown[];
  responses?: Record<string, unknown>;
};

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

/** The completed description of `app`'s routes. */
export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: INFO, servers: [{ url: "/" }] });
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      operation.operationId ??= OPERATION_IDS[`${method.toUpperCase()} ${path}`];
      operation.security ??= [];
      const responses = operation.responses ??= {};
      if (!Object.keys(responses).some((status) => status.startsWith("4"))) {
        responses["400"] = {
          description: "Malformed request, refused by the HTTP layer.",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        };
      }
      // Any request may meet these, whatever the route (health answers throughout a drain).
      if (!path.startsWith("/api/health")) {
        responses["429"] ??= {
          description: "Rate limited (`rate_limited`: too many orders, or refused credentials " +
            "from this address) or too many open streams (`too_many_streams`); see `Retry-After`.",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        };
        responses["503"] ??= {
          description:
            "The server is stopping (`shutting_down`, with `Connection: close`) or the " +
            "store is contended; see `Retry-After`.",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        };
      }
    }
  }
  return { ...doc, tags: TAGS };
}
