/** The staff and devices page's island: the staff directory beside the device tokens. */
import type { StaffPageSession } from "../../lib/pages/staff_session.ts";
import type { components } from "../../lib/client/schema.d.ts";
import { StaffDirectory } from "./staff_directory.tsx";
import { DeviceTokens } from "./device_tokens.tsx";

export interface AdminPeopleProps {
  session: StaffPageSession;
  staff: components["schemas"]["StaffMember"][];
  tokens: components["schemas"]["DeviceToken"][];
}

export default function AdminPeople(props: AdminPeopleProps) {
  return (
    <div class="admin-people">
      <StaffDirectory session={props.session} staff={props.staff} />
      <DeviceTokens session={props.session} tokens={props.tokens} />
    </div>
  );
}
