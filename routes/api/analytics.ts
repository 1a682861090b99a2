/** `GET /api/analytics/summary`: the mirror's analytics for the caller's location. */
import { z } from "@hono/zod-openapi";
import { analyticsSummary, summaryRange } from "../../lib/mirror/analytics.ts";
import { unavailable } from "../../lib/errors.ts";
import { AnalyticsSummarySchema } from "../../lib/schemas.ts";
import {
  blankIsAbsent,
  errorResponses,
  jsonResponse,
  router,
  staffQuery,
  staffRoute,
} from "../openapi.ts";

const isoTime = z.string().max(40).refine((v) => !Number.isNaN(Date.parse(v)), {
  message: "Use an ISO 8601 time such as 2026-11-01T00:00:00Z or a date such as 2026-11-01.",
});

export const analytics = router().openapi(
  staffRoute("analytics.read", {
    method: "get",
    path: "/analytics/summary",
    tags: ["analytics"],
    summary: "Sales, items, stage times, tables and cancellations",
    description: "From the Postgres mirror's views, for orders placed in [from, to) (UTC). " +
      "Defaults: `to` now, `from` 30 days before `to`; at most 366 days. Revenue leaves " +
      "cancelled orders out. Figures trail the orders by the mirror's lag (`GET /api/health`). " +
      "Without `DATABASE_URL`: 503 `mirror_off`.",
    request: {
      query: staffQuery({
        from: blankIsAbsent(isoTime.optional()),
        to: blankIsAbsent(isoTime.optional()),
      }),
    },
    responses: {
      200: jsonResponse(AnalyticsSummarySchema, "The summary."),
      ...errorResponses(400, 401, 403, 404, 503),
    },
  }),
  async (c) => {
    const { analytics: sql } = c.get("services");
    if (!sql) {
      throw unavailable(
        "Analytics need the Postgres mirror: set DATABASE_URL.",
        3600,
        "mirror_off",
      );
    }
    const query = c.req.valid("query");
    const range = summaryRange({
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
    });
    return c.json(await analyticsSummary(sql, c.get("location").id, range), 200);
  },
);
