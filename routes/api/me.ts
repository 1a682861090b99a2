/** `GET /api/me`: who the caller is, where, how they signed in, and a session's CSRF token. */
import { MeSchema } from "../../lib/schemas.ts";
import { errorResponses, jsonResponse, router, staffQuery, staffRoute } from "../openapi.ts";

export const me = router()
  .openapi(
    staffRoute("staff.read_self", {
      method: "get",
      path: "/me",
      tags: ["auth"],
      summary: "The caller",
      description: "Any staff credential. A session also gets its `csrfToken`, which every " +
        "state change made with the session cookie must send as `X-CSRF-Token`.",
      request: { query: staffQuery() },
      responses: { 200: jsonResponse(MeSchema, "The caller."), ...errorResponses(401, 403, 404) },
    }),
    (c) => {
      const principal = c.get("principal");
      const location = c.get("location");
      c.header("Cache-Control", "private, no-store");
      return c.json({
        role: principal.role,
        location: { id: location.id, slug: location.slug, name: location.name },
        via: principal.via,
        ...(principal.email ? { email: principal.email } : {}),
        ...(principal.session ? { csrfToken: principal.session.csrfToken } : {}),
      }, 200);
    },
  );
