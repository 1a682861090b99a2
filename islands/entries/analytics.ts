/** The admin analytics page's bundle (`/admin/analytics`): its one island, with uPlot. */
import { boot } from "../boot.ts";
import AnalyticsPage from "../analytics_page.tsx";

boot({ AnalyticsPage });
