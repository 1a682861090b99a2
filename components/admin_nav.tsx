/** The admin page's own navigation between its parts (lib/pages/staff_pages.ts ADMIN_SECTIONS). */
import { staffMessages } from "../lib/pages/staff_messages.ts";
import { ADMIN_SECTIONS, type AdminSection } from "../lib/pages/staff_pages.ts";
import type { StaffPageSession } from "../lib/pages/staff_session.ts";

export function AdminNav(props: { session: StaffPageSession; current: AdminSection["id"] }) {
  const m = staffMessages(props.session.lang);
  const query = props.session.locationQuery
    ? `?location=${encodeURIComponent(props.session.locationQuery)}`
    : "";
  return (
    <nav class="admin-nav" aria-label={m.adminNav}>
      {ADMIN_SECTIONS.map((section) => (
        <a
          key={section.id}
          href={section.path + query}
          aria-current={section.id === props.current ? "page" : undefined}
        >
          {m[`admin_${section.id}`]}
        </a>
      ))}
    </nav>
  );
}
