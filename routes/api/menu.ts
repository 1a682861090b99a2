/**
 * The menu: read and followed by guests (from memory, per language and filter, with ETags),
 * managed by managers, items and options 86'd by the kitchen.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Catalog, CatalogSnapshot } from "../../lib/catalog/cache.ts";
import type { MenuFilter } from "../../lib/catalog/menu_view.ts";
import {
  badRequest,
  type ErrorDetail,
  forbidden,
  notFound,
  unauthorized,
} from "../../lib/errors.ts";
import { can } from "../../lib/auth/roles.ts";
import { frameStreamResponse } from "../../lib/feed/sse.ts";
import { chooseCoding, compressedBody } from "../../lib/http/precompressed.ts";
import {
  type Allergen,
  ALLERGENS,
  CreateMenuItemInput,
  type MenuItem,
  MenuItemSchema,
  MenuSchema,
  OptionAvailabilityInput,
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
const OptionParams = ItemParams.extend({ optionId: z.string().min(1).max(64) });

const MenuQuery = z.object({
  location: blankIsAbsent(z.string().max(64).optional()).openapi({
    description: "The location's slug.",
  }),
  table: blankIsAbsent(z.string().max(200).optional()).openapi({
    description: "A guest's table token (from the QR code); wins over `location`.",
  }),
  lang: blankIsAbsent(z.string().max(35).optional()).openapi({
    description: "The language to answer in, when the location offers it (else " +
      "`Accept-Language` decides, else the location's default). The answer's `lang` says which.",
    example: "de",
  }),
  exclude: blankIsAbsent(z.string().max(300).optional()).openapi({
    description: "Comma-separated allergen codes: items with any of them are left out, and so " +
      "are options that add one (and an item whose required group then has too few options). " +
      `Codes: ${ALLERGENS.join(", ")}.`,
    example: "gluten,milk",
  }),
  diet: blankIsAbsent(z.string().max(300).optional()).openapi({
    description: "Comma-separated dietary tags: only items carrying all of them.",
    example: "vegan",
  }),
});

const MENU_DESCRIPTION = "By `location` slug, or by a guest's `table` token. Texts are in one " +
  "language: `?lang=`, else the best match of `Accept-Language`, else the location's default " +
  "(`lang` in the body and `Content-Language` say which; items carry no `translations` here: " +
  "staff read those from `GET /api/menu/items`). `exclude` and `diet` filter it.";

export const menu = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/menu",
      tags: ["menu"],
      summary: "A location's menu",
      description: `${MENU_DESCRIPTION} Sends an ETag (one per language, filter and ` +
        "content coding); `If-None-Match` gives 304. Compressed with brotli or gzip when " +
        "`Accept-Encoding` allows (compressed once per menu version, not per request).",
      request: { query: MenuQuery },
      responses: {
        200: jsonResponse(MenuSchema, "The menu."),
        304: { description: "Not modified since the ETag sent." },
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const { catalog, answers } = c.get("services");
      const snapshot = await menuSnapshot(catalog, query);
      const filter = menuFilterOf(query);
      const lang = snapshot.language(query.lang, c.req.header("accept-language"));
      const body = snapshot.menu(lang, filter);
      const coding = chooseCoding(c.req.header("accept-encoding"));
      // A strong ETag names one representation, so each coding has its own (RFC 9110 8.8.3).
      c.header("ETag", coding ? `${body.etag.slice(0, -1)}-${coding}"` : body.etag);
      c.header("Cache-Control", "no-cache");
      c.header("Vary", "Accept-Language, Accept-Encoding");
      c.header("Content-Language", body.lang);
      if (etagMatches(c.req.header("if-none-match"), body.etag)) return c.body(null, 304);
      c.header("Content-Type", "application/json; charset=UTF-8");
      const bytes = coding ? compressedBody(body.body, coding) : body.body;
      if (coding) c.header("Content-Encoding", coding);
      // The same bytes for the next identical request, while this snapshot is the catalog's.
      answers.keep(c.req.raw, bytes, () => catalog.isCurrent(snapshot));
      return c.body(bytes, 200) as never;
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/menu/stream",
      tags: ["menu"],
      summary: "Follow a location's menu (server-sent events)",
      description: `${MENU_DESCRIPTION} A \`menu\` event with the whole menu (the body of ` +
        "`GET /api/menu` with the same parameters, its ETag as the event id) comes first and " +
        "again after every change that alters it, so an open menu greys out an 86'd item or " +
        "option at once. A client that falls behind gets the newest menu, not every one in " +
        "between. A `: keep-alive` comment comes at least every 15 s; a stream opened with a " +
        "table token ends with a comment once that token is rotated or its table removed.",
      request: { query: MenuQuery },
      responses: {
        200: {
          description: "`text/event-stream`.",
          content: { "text/event-stream": { schema: z.string() } },
        },
        ...errorResponses(400, 401, 404, 429),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const { catalog, menuHubs, config, streams } = c.get("services");
      const snapshot = await menuSnapshot(catalog, query);
      const slot = streams.open([["address", c.get("clientAddress")]]);
      const subscription = await menuHubs.subscribe(snapshot.location.id, {
        lang: query.lang,
        acceptLanguage: c.req.header("accept-language"),
        filter: menuFilterOf(query),
        tableToken: query.table,
      }).catch((error) => {
        slot.release();
        throw error;
      });
      if (!subscription) {
        slot.release();
        throw notFound("Location");
      }
      return frameStreamResponse(subscription, {
        keepAliveMs: config.streamKeepAliveMs,
        onClose: slot.release,
      }) as never;
    },
  )
  .openapi(
    staffRoute("menu.availability", {
      method: "get",
      path: "/menu/items",
      tags: ["menu"],
      summary: "The menu items as stored (staff)",
      description: "Every item of the caller's location with its `translations` and those of " +
        "its option groups and options, in menu order: what the menu endpoints edit.",
      request: { query: staffQuery() },
      responses: {
        200: jsonResponse(z.object({ items: z.array(MenuItemSchema) }), "The items."),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const snapshot = await c.get("services").catalog.get(c.get("location").id);
      if (!snapshot) throw notFound("Location");
      return c.json({ items: snapshot.itemList as MenuItem[] }, 200);
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
    staffRoute("menu.availability", {
      method: "patch",
      path: "/menu/items/{id}/options/{optionId}",
      tags: ["menu"],
      summary: "86 an option (or bring it back)",
      description: 'The kitchen and managers: `{"available": false}` makes the option refused ' +
        "(409 `option_unavailable`) and greyed out on open menus; `true` brings it back. The " +
        "item's other fields and options are unchanged.",
      request: {
        params: OptionParams,
        query: staffQuery(),
        body: jsonBody(OptionAvailabilityInput),
      },
      responses: {
        200: jsonResponse(MenuItemSchema, "The item as changed."),
        ...errorResponses(400, 401, 403, 404, 413, 415, 422),
      },
    }),
    async (c) => {
      const { catalogService } = c.get("services");
      const { id, optionId } = c.req.valid("param");
      const item = await catalogService.setOptionAvailability(
        scopeOf(c),
        { itemId: id, optionId },
        c.req.valid("json").available,
      );
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

/** The snapshot of the location a menu request names (by table token, else by slug). */
async function menuSnapshot(
  catalog: Catalog,
  query: { location?: string; table?: string },
): Promise<CatalogSnapshot> {
  if (query.table !== undefined) {
    const found = await catalog.findByToken(query.table);
    if (!found) throw unauthorized("This table code is not valid.", "invalid_table_token");
    return found.snapshot;
  }
  if (query.location !== undefined) {
    const snapshot = await catalog.findBySlug(query.location);
    if (!snapshot) throw notFound(`Location "${query.location}"`);
    return snapshot;
  }
  throw badRequest("Name a `location` slug or a `table` token.", "missing_parameter");
}

/** `?exclude=` and `?diet=` as a filter; an unknown allergen code or a malformed tag is a 400. */
function menuFilterOf(query: { exclude?: string; diet?: string }): MenuFilter | undefined {
  if (query.exclude === undefined && query.diet === undefined) return undefined;
  const list = (
    text: string | undefined,
  ) => [...new Set((text ?? "").split(",").map((s) => s.trim()).filter(Boolean))];
  const details: ErrorDetail[] = [];
  const exclude = list(query.exclude);
  for (const code of exclude) {
    if (!(ALLERGENS as readonly string[]).includes(code)) {
      details.push({
        path: "exclude",
        message: `"${code.slice(0, 40)}" is not an allergen code; use ${ALLERGENS.join(", ")}.`,
      });
    }
  }
  const diet = list(query.diet);
  for (const tag of diet) {
    if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(tag) || tag.length > 32) {
      details.push({ path: "diet", message: `"${tag.slice(0, 40)}" is not a dietary tag.` });
    }
  }
  if (details.length) {
    throw badRequest("The menu filter is not valid.", "invalid_parameters", details);
  }
  return { exclude: exclude as Allergen[], diet };
}

/**
 * `If-None-Match` against a menu's ETag in any of its codings (weak comparison, as RFC 9110
 * says for `If-None-Match`): the content is the same whichever coding the client cached.
 */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = etag.slice(1, -1);
  return header.split(",").some((tag) => {
    const t = tag.trim().replace(/^W\//, "");
    return t === "*" || t === etag || t === `"${opaque}-br"` || t === `"${opaque}-gzip"`;
  });
}
