/** Device tokens for staff screens and tools: issued and revoked by owners and managers. */
import { z } from "@hono/zod-openapi";
import { mayActOn } from "../../lib/auth/principal.ts";
import { forbidden, notFound } from "../../lib/errors.ts";
import { getLocation } from "../../lib/catalog/locations.ts";
import { outranksOrEquals } from "../../lib/auth/roles.ts";
import { CreatedTokenSchema, CreateTokenInput, DeviceTokenSchema } from "../../lib/schemas.ts";
import {
  errorResponses,
  jsonBody,
  jsonResponse,
  router,
  staffQuery,
  staffRoute,
} from "../openapi.ts";
import { auditOf } from "../middleware/auth.ts";

export const authTokens = router()
  .openapi(
    staffRoute("tokens.manage", {
      method: "get",
      path: "/auth/tokens",
      tags: ["auth"],
      summary: "List device tokens",
      description: "The caller's location's device tokens, oldest first, never their secret " +
        "(it is shown once, when issued). Revoked tokens are gone from the list; expired ones " +
        "read `active: false` until the store drops them.",
      request: { query: staffQuery() },
      responses: {
        200: jsonResponse(
          z.object({ tokens: z.array(DeviceTokenSchema) }),
          "The location's device tokens.",
        ),
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const records = await c.get("services").auth.listDeviceTokens(c.get("location").id);
      const now = Date.now();
      return c.json({
        tokens: records.map((record) => ({
          id: record.id,
          role: record.role,
          label: record.label,
          createdAt: record.createdAt,
          expiresAt: record.expiresAt,
          active: Date.parse(record.expiresAt) > now,
        })),
      }, 200);
    },
  )
  .openapi(
    staffRoute("tokens.manage", {
      method: "post",
      path: "/auth/tokens",
      tags: ["auth"],
      summary: "Issue a device token",
      description: "For the caller's location, or `locationId` of one the caller manages. " +
        "A caller may grant its own role or a weaker one. Default lifetime 90 days.",
      request: { query: staffQuery(), body: jsonBody(CreateTokenInput) },
      responses: {
        201: jsonResponse(CreatedTokenSchema, "The token: shown once, keep it safe."),
        ...errorResponses(400, 401, 403, 404, 413, 415, 422),
      },
    }),
    async (c) => {
      const { kv, auth } = c.get("services");
      const principal = c.get("principal");
      const input = c.req.valid("json");
      let locationId = c.get("location").id;
      if (input.locationId !== undefined) {
        if (!mayActOn(principal, input.locationId)) {
          throw forbidden("You may not manage that location.");
        }
        if (!await getLocation(kv, input.locationId)) throw notFound("Location");
        locationId = input.locationId;
      }
      const { token, record } = await auth.issueDeviceToken(
        principal,
        { ...input, locationId },
        auditOf(c),
      );
      return c.json({
        token,
        id: record.id,
        expiresAt: record.expiresAt,
        role: record.role,
        locationId: record.locationId,
        label: record.label,
      }, 201);
    },
  )
  .openapi(
    staffRoute("tokens.manage", {
      method: "delete",
      path: "/auth/tokens/{id}",
      tags: ["auth"],
      summary: "Revoke a device token",
      description: "The token is refused from then on. A caller may revoke tokens of its own " +
        "role or a weaker one (a manager cannot revoke an owner's token), in its location(s).",
      request: { params: z.object({ id: z.string().min(1).max(64) }), query: staffQuery() },
      responses: { 204: { description: "Revoked." }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { auth } = c.get("services");
      const principal = c.get("principal");
      const record = await auth.getDeviceToken(c.req.valid("param").id);
      if (!record || !mayActOn(principal, record.locationId)) throw notFound("Token");
      if (!outranksOrEquals(principal.role, record.role)) {
        throw forbidden(`A ${principal.role} may not revoke ${record.role} tokens.`);
      }
      await auth.revokeDeviceToken(record.id, auditOf(c));
      return c.body(null, 204);
    },
  );
