/** Locations (restaurants). Owners only. */
import { z } from "@hono/zod-openapi";
import { mayActOn } from "../../lib/auth/principal.ts";
import { forbidden, notFound } from "../../lib/errors.ts";
import { listLocations } from "../../lib/catalog/locations.ts";
import { CreateLocationInput, LocationSchema, UpdateLocationInput } from "../../lib/schemas.ts";

const LocationParams = z.object({ id: z.string().min(1).max(64) });
import { errorResponses, jsonBody, jsonResponse, router, staffRoute } from "../openapi.ts";

export const locations = router()
  .openapi(
    staffRoute("locations.manage", {
      method: "get",
      path: "/locations",
      tags: ["locations"],
      summary: "List the locations the caller owns",
      responses: {
        200: jsonResponse(z.object({ locations: z.array(LocationSchema) }), "Oldest first."),
        ...errorResponses(401, 403),
      },
    }, { noLocation: true }),
    async (c) => {
      const principal = c.get("principal");
      const all = await listLocations(c.get("services").kv);
      return c.json({ locations: all.filter((l) => mayActOn(principal, l.id)) }, 200);
    },
  )
  .openapi(
    staffRoute("locations.manage", {
      method: "post",
      path: "/locations",
      tags: ["locations"],
      summary: "Create a location",
      description: "Only an owner of every location (the bootstrap token) may create new ones.",
      request: { body: jsonBody(CreateLocationInput) },
      responses: {
        201: jsonResponse(LocationSchema, "The new location."),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422),
      },
    }, { noLocation: true }),
    async (c) => {
      const principal = c.get("principal");
      if (principal.locations !== "all") {
        throw forbidden("Only an owner of every location may create locations.");
      }
      const { catalogService } = c.get("services");
      const location = await catalogService.createLocation(
        { by: principal, requestId: c.get("requestId") },
        c.req.valid("json"),
      );
      return c.json(location, 201);
    },
  )
  .openapi(
    staffRoute("locations.manage", {
      method: "patch",
      path: "/locations/{id}",
      tags: ["locations"],
      summary: "Change a location's name or menu languages",
      description: "Owners of the location. The slug, currency and default language stay " +
        "(links, prices and the items' own texts depend on them). Open menus and menu streams " +
        "follow at once; audited as `location.update`.",
      request: { params: LocationParams, body: jsonBody(UpdateLocationInput) },
      responses: {
        200: jsonResponse(LocationSchema, "The location as changed."),
        ...errorResponses(400, 401, 403, 404, 413, 415, 422),
      },
    }, { noLocation: true }),
    async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      if (!mayActOn(principal, id)) throw notFound("Location");
      const { catalogService } = c.get("services");
      const location = await catalogService.updateLocation(
        { by: principal, requestId: c.get("requestId"), locationId: id },
        c.req.valid("json"),
      );
      return c.json(location, 200);
    },
  );
