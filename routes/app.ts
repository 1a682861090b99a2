/** Builds the HTTP application: middleware, the resource routers, OpenAPI and docs. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { AppError } from "../lib/errors.ts";
import type { Services } from "../lib/services.ts";
import { analytics } from "./api/analytics.ts";
import { authTokens } from "./api/auth_tokens.ts";
import { health } from "./api/health.ts";
import { locations } from "./api/locations.ts";
import { menu } from "./api/menu.ts";
import { orders } from "./api/orders.ts";
import { serviceRequests } from "./api/service_requests.ts";
import { settings } from "./api/settings.ts";
import { visits } from "./api/visits.ts";
import { streams } from "./api/streams.ts";
import { tables } from "./api/tables.ts";
import { errorResponse, handleError } from "./error_response.ts";
import { SESSION_COOKIE } from "./middleware/auth.ts";
import { requestContext } from "./middleware/request_context.ts";
import { jsonBodyGuard } from "./middleware/json_body.ts";
import { securityHeaders } from "./middleware/security_headers.ts";
import { assets } from "./pages/assets.ts";
import { docs } from "./pages/docs.ts";
import { openApiDocument } from "./openapi_document.ts";
import { guestPages } from "./pages/guest.tsx";
import type { AppEnv } from "./state.ts";

/** Actions that take no request body. */
const BODILESS_ACTIONS =
  /^\/api\/(?:orders\/[^/]+\/lines\/[^/]+\/ready|service-requests\/[^/]+\/ack|tables\/[^/]+\/visit\/close)$/;

/** The application for a set of services. */
export function createApp(services: Services): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.use("*", requestContext({ trustProxyHeader: services.config.trustProxyHeader }));
  app.use("*", securityHeaders());
  app.use(
    "*",
    createMiddleware<AppEnv>(async function injectServices(c, next) {
      c.set("services", services);
      await next();
    }),
  );
  app.use(
    "/api/*",
    jsonBodyGuard({ maxBytes: services.config.maxBodyBytes, bodiless: BODILESS_ACTIONS }),
  );

  const api = new OpenAPIHono<AppEnv>()
    .route("/", health)
    .route("/", menu)
    .route("/", tables)
    .route("/", orders)
    .route("/", streams)
    .route("/", locations)
    .route("/", authTokens)
    .route("/", analytics)
    .route("/", settings)
    .route("/", serviceRequests)
    .route("/", visits);
  app.route("/api", api);
  app.route("/", assets);
  app.route("/", guestPages);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "sessionCookie", {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
  });
  let described: ReturnType<typeof openApiDocument> | undefined;
  app.get("/openapi.json", (c) => c.json(described ??= openApiDocument(app)));
  app.route("/", docs);
  app.get("/", (c) => c.redirect("/docs"));

  app.notFound((c) =>
    errorResponse(
      c,
      new AppError("not_found", "not_found", `No route for ${c.req.method} ${c.req.path}.`),
    )
  );
  app.onError(handleError);
  return app;
}
