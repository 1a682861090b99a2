/** The menu: read by guests (cached, with ETag), managed by managers, 86'd by the kitchen. */
import { createRoute, z } from "@hono/zod-openapi";
import type { CatalogSnapshot } from "../../lib/catalog/cache.ts";
import { badRequest, forbidden, notFound, unauthorized } from "../../lib/errors.ts";
import { can } from "../../lib/auth/roles.ts";
import {
  CreateMenuItemInput,
  MenuItemSchema,
  MenuSchema,
  UpdateMenuItemInput,
} from "../../lib/schemas.ts";
import { scopeOf } from "../middleware/auth.ts";
import {
  blankIsAbsent,
  errorResponses,
  jsonBody,
  jsonResponse,
  router,
  staffQuery,
  staffRoute,
} from "../openapi.ts";

const ItemParams = z.object({ id: z.string().min(1).max(64) });

export const menu = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/menu",
      tags: ["menu"],
      summary: "A location's menu",
      description:
        "By `location` slug, or by a guest's `table` token. Sends an ETag; `If-None-Match` gives 304.",
      request: {
        query: z.object({
          location: blankIsAbsent(z.string().max(64).optional()).openapi({
            description: "The location's slug.",
          }),
          table: blankIsAbsent(z.string().max(200).optional()).openapi({
            description: "A guest's table token (from the QR code); wins over `location`.",
          }),
        }),
      },
      responses: {
        200: jsonResponse(MenuSchema, "The menu."),
        304: { description: "Not modified since the ETag sent." },
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) => {
      const { location, table } = c.req.valid("query");
      const { catalog } = c.get("services");
      let snapshot: CatalogSnapshot | null = null;
      if (table !== undefined) {
        snapshot = (await catalog.findByToken(table))?.snapshot ?? null;
        if (!snapshot) throw unauthorized("This table code is not valid.", "invalid_table_token");
      } else if (location !== undefined) {
        snapshot = await catalog.findBySlug(location);
        if (!snapshot) throw notFound(`Location "${location}"`);
      } else {
        throw badRequest("Name a `location` slug or a `table` token.", "missing_parameter");
      }
      c.header("ETag", snapshot.menuEtag);
      c.header("Cache-Control", "no-cache");
      if (etagMatches(c.req.header("if-none-match"), snapshot.menuEtag)) return c.body(null, 304);
      c.header("Content-Type", "application/json; charset=UTF-8");
      return c.body(snapshot.menuJson, 200) as never;
    },
  )
  .openapi(
    staffRoute("menu.write", {
      method: "post",
      path: "/menu/items",
      tags: ["menu"],
      summary: "Add a menu item",
      request: { query: staffQuery(), body: jsonBody(CreateMenuItemInput) },
      responses: {
        201: jsonResponse(MenuItemSchema, "The new item."),
        ...errorResponses(400, 401, 403, 404, 413, 415, 422),
      },
    }),
    async (c) => {
      const { catalogService } = c.get("services");
      const item = await catalogService.createMenuItem(scopeOf(c), c.req.valid("json"));
      return c.json(item, 201);
    },
  )
  .openapi(
    staffRoute("menu.availability", {
      method: "patch",
      path: "/menu/items/{id}",
      tags: ["menu"],
      summary: "Change a menu item",
      description:
        'Managers change anything; the kitchen may send only `{"available": …}` (to 86 an item).',
      request: { params: ItemParams, query: staffQuery(), body: jsonBody(UpdateMenuItemInput) },
      responses: {
        200: jsonResponse(MenuItemSchema, "The item as changed."),
        ...errorResponses(400, 401, 403, 404, 413, 415, 422),
      },
    }),
    async (c) => {
      const principal = c.get("principal");
      const patch = c.req.valid("json");
      const onlyAvailability = Object.entries(patch).every(([k, v]) =>
        k === "available" || v === undefined
      );
      if (!can(principal.role, "menu.write") && !onlyAvailability) {
        throw forbidden("Your role may change only an item's availability.");
      }
      const { catalogService } = c.get("services");
      const item = await catalogService.updateMenuItem(scopeOf(c), c.req.valid("param").id, patch);
      return c.json(item, 200);
    },
  )
  .openapi(
    staffRoute("menu.write", {
      method: "delete",
      path: "/menu/items/{id}",
      tags: ["menu"],
      summary: "Remove a menu item",
      request: { params: ItemParams, query: staffQuery() },
      responses: { 204: { description: "Removed." }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { catalogService } = c.get("services");
      await catalogService.deleteMenuItem(scopeOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t === etag || t === `W/${etag}`;
  });
}
