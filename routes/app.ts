/** Builds the HTTP application: middleware, the resource routers, OpenAPI and docs. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { AppError } from "../lib/errors.ts";
import type { Services } from "../lib/services.ts";
import { authTokens } from "./api/auth_tokens.ts";
import { renderDocs } from "./pages/docs.ts";
import type { AppEnv } from "./state.ts";
import { errorResponse, handleError } from "./error_response.ts";
import { health } from "./api/health.ts";
import { locations } from "./api/locations.ts";
import { menu } from "./api/menu.ts";
import { jsonBodyGuard, securityHeaders, SESSION_COOKIE, withServices } from "./middleware/auth.ts";
import { orders } from "./api/orders.ts";
import { streams } from "./api/streams.ts";
import { tables } from "./api/tables.ts";

const API_INFO = {
  openapi: "3.1.0",
  info: {
    title: "SeatServe",
    version: "1.0.0",
    description:
      "QR table ordering: guests order from their table, the kitchen and staff move orders along.",
  },
  servers: [{ url: "/" }],
};

/** The application for a set of services. */
export function createApp(services: Services): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.use("*", securityHeaders());
  app.use("*", withServices(services));
  app.use("/api/*", jsonBodyGuard({ maxBytes: services.config.maxBodyBytes }));

  const api = new OpenAPIHono<AppEnv>()
    .route("/", health)
    .route("/", menu)
    .route("/", tables)
    .route("/", orders)
    .route("/", streams)
    .route("/", locations)
    .route("/", authTokens);
  app.route("/api", api);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "sessionCookie", {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
  });
  app.doc31("/openapi.json", API_INFO);
  app.get(
    "/docs",
    (c) =>
      c.html(renderDocs(app.getOpenAPI31Document(API_INFO) as Parameters<typeof renderDocs>[0])),
  );
  app.get("/", (c) => c.redirect("/docs"));

  app.notFound((c) =>
    errorResponse(c, new AppError(404, "not_found", `No route for ${c.req.method} ${c.req.path}.`))
  );
  app.onError(handleError);
  return app;
}
