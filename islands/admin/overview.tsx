/** The admin overview's island: the live orders beside the location's settings. */
import type { Settings } from "../../lib/kitchen/settings.ts";
import type { StaffPageSession } from "../../lib/pages/staff_session.ts";
import type { LiveOrder } from "./live_list.ts";
import { LiveOrders } from "./live_orders.tsx";
import { SettingsForm } from "./settings_form.tsx";

export interface AdminOverviewProps {
  session: StaffPageSession;
  orders: LiveOrder[];
  settings: Settings;
}

export default function AdminOverview(props: AdminOverviewProps) {
  return (
    <div class="admin-overview">
      <LiveOrders session={props.session} orders={props.orders} />
      <SettingsForm session={props.session} settings={props.settings} />
    </div>
  );
}
