/**
 * The connection line of a live screen: "Live", or plainly "Offline · tickets as of 12:03
 * (2 min ago)", a sign-in that ended, and how many taps wait to be sent.
 */
import { fill, formatClock } from "../../lib/pages/format.ts";
import { staffMessages } from "../../lib/pages/staff_messages.ts";
import { agoText } from "./clock.ts";
import type { LiveState } from "./stream.ts";

export function LiveStatus(
  props: { state: LiveState; now: number; lang: string; what: string; queued: number },
) {
  const m = staffMessages(props.lang);
  const { state } = props;
  // Only the state is announced; the staleness beside it ticks every second, silently.
  const headline = state.signedOut
    ? m.live_signedOut
    : state.online
    ? m.live_online
    : !state.connected
    ? m.live_connecting
    : m.live_offline;
  const detail = state.connected && !state.online && !state.signedOut
    ? fill(m.live_asOf, {
      what: props.what,
      time: formatClock(new Date(state.heardAt).toISOString(), props.lang),
      ago: agoText(props.now - state.heardAt, m),
    })
    : "";
  return (
    <div
      class={`live-status ${state.online ? "online" : "offline"}`}
      data-online={String(state.online)}
    >
      <span class="live-dot" aria-hidden="true" />
      <span class="live-text">
        <span role="status">{headline}</span>
        {detail}
      </span>
      {props.queued > 0 && (
        <span class="live-queued">{fill(m.live_queued, { n: props.queued })}</span>
      )}
    </div>
  );
}
