/** Locations (restaurants). Owners only. */
import { createRoute, z } from "@hono/zod-openapi";
import { forbidden } from "../../lib/errors.ts";
import { createLocation, listLocations } from "../../lib/catalog/locations.ts";
import { CreateLocationInput, LocationSchema } from "../../lib/schemas.ts";
import { mayActOn, staffOnly } from "../middleware/auth.ts";
import { errorResponses, jsonBody, jsonResponse, router, staffSecurity } from "../openapi.ts";

const owner = staffOnly("locations.manage", { noLocation: true });

export const locations = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/locations",
      tags: ["locations"],
      summary: "List the locations the caller owns",
      security: staffSecurity,
      middleware: [owner] as const,
      responses: {
        200: jsonResponse(z.object({ locations: z.array(LocationSchema) }), "Oldest first."),
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const principal = c.get("principal");
      const all = await listLocations(c.get("services").kv);
      return c.json({ locations: all.filter((l) => mayActOn(principal, l.id)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/locations",
      tags: ["locations"],
      summary: "Create a location",
      description: "Only an owner of every location (the bootstrap token) may create new ones.",
      security: staffSecurity,
      middleware: [owner] as const,
      request: { body: jsonBody(CreateLocationInput) },
      responses: {
        201: jsonResponse(LocationSchema, "The new location."),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      if (c.get("principal").locations !== "all") {
        throw forbidden("Only an owner of every location may create locations.");
      }
      const location = await createLocation(c.get("services").kv, c.req.valid("json"));
      return c.json(location, 201);
    },
  );
