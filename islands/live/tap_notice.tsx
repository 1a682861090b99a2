/**
 * A tap the server refused, on the ticket or card it was made on: "changed elsewhere: now …"
 * for a conflict (nothing was changed here), else the server's reason; dismissable.
 */
import { fill } from "../../lib/pages/format.ts";
import type { StaffMessages } from "../../lib/pages/staff_messages.ts";
import type { TapNotice } from "./use_live.ts";

export function TapNoticeLine(
  props: {
    notice: TapNotice;
    /** The order's status as the screen holds it now. */
    status: string;
    sm: StaffMessages;
    /** The page's class for it (`ticket-notice`, `floor-notice`). */
    class: string;
    onDismiss: () => void;
  },
) {
  const { notice, sm } = props;
  return (
    <p class={props.class} role="alert">
      <span>
        {notice.code === "version_conflict" || notice.code === "illegal_transition"
          ? fill(sm.changedElsewhere, {
            status: sm[`status_${props.status}` as keyof StaffMessages],
          })
          : fill(sm.tapRefused, { reason: notice.message })}
      </span>
      <button type="button" class="dismiss" onClick={props.onDismiss}>
        {sm.dismiss}
      </button>
    </p>
  );
}
