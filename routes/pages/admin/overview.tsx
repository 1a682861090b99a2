/** `GET /admin`: the overview, live orders and the location's settings. */
import type { Context } from "hono";
import { Island } from "../../../components/island.tsx";
import { sharedAssets } from "../../../lib/assets/assets.ts";
import { getSettings } from "../../../lib/kitchen/settings.ts";
import { listOpenOrders } from "../../../lib/orders/store.ts";
import { staffMessages } from "../../../lib/pages/staff_messages.ts";
import AdminOverview from "../../../islands/admin/overview.tsx";
import { liveList } from "../../../islands/admin/live_list.ts";
import type { AppEnv, StaffEnv } from "../../state.ts";
import { renderPage } from "../render.tsx";
import { staffSession } from "../staff_page.tsx";
import { AdminFrame } from "./frame.tsx";
import { pathOf } from "./path.ts";

export async function overviewPage(c: Context<StaffEnv>): Promise<Response> {
  const { kv, config } = c.get("services");
  const session = staffSession(c);
  const locationId = c.get("location").id;
  const [orders, settings] = await Promise.all([
    listOpenOrders(kv, locationId),
    getSettings(kv, locationId),
  ]);
  const assets = (await sharedAssets(config.assetsDir)).page("admin");
  const props = { session, orders: liveList(orders), settings };
  return renderPage(
    c as unknown as Context<AppEnv>,
    <AdminFrame
      session={session}
      section="overview"
      path={pathOf(c)}
      title={staffMessages(session.lang).admin_overview}
      assets={assets}
    >
      <Island name="AdminOverview" component={AdminOverview} props={props} />
    </AdminFrame>,
  );
}
