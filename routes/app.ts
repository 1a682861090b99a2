/** Builds the HTTP application: middleware, the resource routers, OpenAPI and docs. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { AppError } from "../lib/errors.ts";
import type { Services } from "../lib/services.ts";
import { analytics } from "./api/analytics.ts";
import { audit } from "./api/audit.ts";
import { me } from "./api/me.ts";
import { staff } from "./api/staff.ts";
import { authPages } from "./pages/auth.ts";
import { deviceSignIn } from "./middleware/device_sign_in.ts";
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
import { webhooks } from "./api/webhooks.ts";
import { errorResponse, handleError } from "./error_response.ts";
import { SESSION_COOKIE } from "./middleware/auth.ts";
import { requestContext } from "./middleware/request_context.ts";
import { jsonBodyGuard } from "./middleware/json_body.ts";
import { corsForOrigins } from "./middleware/cors.ts";
import { refuseWhileDraining } from "./middleware/drain.ts";
import { refusedCredentialGuard } from "./middleware/rate_limits.ts";
import { refuseBadHost } from "./middleware/request_target.ts";
import { requestLog } from "./middleware/request_log.ts";
import { securityHeaders } from "./middleware/security_headers.ts";
import { assets } from "./pages/assets.ts";
import { docs } from "./pages/docs.ts";
import { openApiDocument } from "./openapi_document.ts";
import { guestPages } from "./pages/guest.tsx";
import { kitchenPages } from "./pages/kitchen.tsx";
import { floorPages } from "./pages/floor.tsx";
import { menuEditorPages } from "./pages/admin_menu.tsx";
import { analyticsPages } from "./pages/admin_analytics.tsx";
import { adminPages } from "./pages/admin.ts";
import type { AppEnv } from "./state.ts";

/** The application for a set of services. */
export function createApp(services: Services): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const { config } = services;
  // Only the layers that do something in this configuration: each costs every request.
  app.use("*", requestContext(services));
  if (config.requestLog === "json") app.use("*", requestLog());
  app.use("*", securityHeaders());
  if (config.corsOrigins.length) app.use("*", corsForOrigins(config.corsOrigins));
  app.use("*", refuseBadHost());
  app.use("*", refuseWhileDraining());
  if (services.limits.enabled) {
    app.use("/api/*", refusedCredentialGuard());
    app.use("/t/*", refusedCredentialGuard());
  }
  app.use("*", deviceSignIn());
  app.use("/api/*", jsonBodyGuard({ maxBytes: config.maxBodyBytes }));

  const api = new OpenAPIHono<AppEnv>()
    .route("/", health)
    .route("/", menu)
    .route("/", tables)
    .route("/", orders)
    .route("/", streams)
    .route("/", locations)
    .route("/", authTokens)
    .route("/", analytics)
    .route("/", webhooks)
    .route("/", settings)
    .route("/", serviceRequests)
    .route("/", visits)
    .route("/", me)
    .route("/", staff)
    .route("/", audit);
  app.route("/api", api);
  app.route("/auth", authPages);
  app.route("/", assets);
  app.route("/", guestPages);
  app.route("/", kitchenPages);
  app.route("/", floorPages);
  app.route("/", menuEditorPages);
  app.route("/", analyticsPages);
  app.route("/", adminPages);

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
