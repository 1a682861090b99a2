/**
 * `/admin/analytics`: the mirror's analytics (islands/analytics_page.tsx) for a range of days
 * (`?from=&to=`, both included, UTC; the last 30 days by default). The figures are read on the
 * server and rendered as tables, so the page reads before any script runs; the island draws the
 * charts and picks other days through `GET /api/analytics/summary`. Without `DATABASE_URL` the
 * page says plainly that analytics need the Postgres mirror.
 */
import { type Context, Hono } from "hono";
import { Island } from "../../components/island.tsx";
import { sharedAssets } from "../../lib/assets/assets.ts";
import { AppError } from "../../lib/errors.ts";
import {
  type AnalyticsSummary,
  analyticsSummary,
  summaryRange,
} from "../../lib/mirror/analytics.ts";
import { type DayRange, pickedDays, rangeOfDays } from "../../lib/pages/analytics_days.ts";
import { analyticsMessages } from "../../lib/pages/analytics_messages.ts";
import { STAFF_PAGES } from "../../lib/pages/staff_pages.ts";
import AnalyticsPage, { type AnalyticsState } from "../../islands/analytics_page.tsx";
import type { AppEnv } from "../state.ts";
import { AdminFrame } from "./admin/frame.tsx";
import { renderPage } from "./render.tsx";
import { staffPage, staffSession } from "./staff_page.tsx";

const adminPage = STAFF_PAGES.find((p) => p.kind === "admin")!;

export const analyticsPages = new Hono<AppEnv>().get(
  "/admin/analytics",
  staffPage(adminPage),
  async (c) => {
    const { analytics, config } = c.get("services");
    const session = staffSession(c);
    const m = analyticsMessages(session.lang);
    const picked = pickedDays({ from: c.req.query("from"), to: c.req.query("to") });
    const days: DayRange = picked ?? pickedDays({})!;
    let state: AnalyticsState = "ok";
    let summary: AnalyticsSummary | null = null;
    let message: string | undefined;
    if (!analytics) state = "mirror_off";
    else if (!picked) [state, message] = ["refused", m.invalidDays];
    else {
      try {
        const range = rangeOfDays(days);
        summary = await analyticsSummary(
          analytics,
          c.get("location").id,
          summaryRange({ from: new Date(range.from), to: new Date(range.to) }),
        );
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        state = error.kind === "bad_request" ? "refused" : "unavailable";
        message = error.kind === "bad_request" ? error.message : m.mirrorDown;
      }
    }
    const url = new URL(c.req.url);
    return renderPage(
      c as unknown as Context<AppEnv>,
      <AdminFrame
        session={session}
        section="analytics"
        path={url.pathname + url.search}
        title={m.title}
        assets={(await sharedAssets(config.assetsDir)).page("analytics")}
        class="admin-analytics-page"
      >
        <Island
          name="AnalyticsPage"
          component={AnalyticsPage}
          props={{ session, days, state, summary, message }}
        />
      </AdminFrame>,
    );
  },
);
