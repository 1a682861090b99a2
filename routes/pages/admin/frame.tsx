/** The frame of every admin page: the staff frame, the admin sections' navigation, a heading. */
import type { ComponentChildren } from "preact";
import { AdminNav } from "../../../components/admin_nav.tsx";
import { StaffLayout } from "../../../components/staff_layout.tsx";
import type { AdminSection } from "../../../lib/pages/staff_pages.ts";
import type { StaffPageSession } from "../../../lib/pages/staff_session.ts";

export function AdminFrame(
  props: {
    session: StaffPageSession;
    section: AdminSection["id"];
    path: string;
    title: string;
    assets: { styles: string; script?: string };
    /** A class for the page's own part (the heading and `children`), for its styles. */
    class?: string;
    children: ComponentChildren;
  },
) {
  return (
    <StaffLayout
      session={props.session}
      current="admin"
      path={props.path}
      title={props.title}
      assets={props.assets}
    >
      <AdminNav session={props.session} current={props.section} />
      {props.class
        ? (
          <div class={props.class}>
            <h1 class="admin-title">{props.title}</h1>
            {props.children}
          </div>
        )
        : (
          <>
            <h1 class="admin-title">{props.title}</h1>
            {props.children}
          </>
        )}
    </StaffLayout>
  );
}
