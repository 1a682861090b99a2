/**
 * The frame of every staff page: the restaurant's name, the staff pages this role may open,
 * who is signed in, and signing out. The page's own content (usually one island) goes inside.
 */
import type { ComponentChildren } from "preact";
import type { PageAssets } from "../lib/assets/assets.ts";
import { fill } from "../lib/pages/format.ts";
import { staffMessages } from "../lib/pages/staff_messages.ts";
import { pagesFor, type StaffPageEntry } from "../lib/pages/staff_pages.ts";
import type { StaffPageSession } from "../lib/pages/staff_session.ts";
import { Layout } from "./layout.tsx";

export function StaffLayout(
  props: {
    session: StaffPageSession;
    current: StaffPageEntry["kind"];
    /** This page's path and query, to come back to after signing out. */
    path: string;
    title: string;
    /** The style sheet, and the page's bundle when it has islands. */
    assets: { styles: string; script?: PageAssets["script"] };
    children: ComponentChildren;
  },
) {
  const { session } = props;
  const m = staffMessages(session.lang);
  const query = session.locationQuery
    ? `?location=${encodeURIComponent(session.locationQuery)}`
    : "";
  return (
    <Layout
      lang={session.lang}
      title={`${props.title} · ${session.location.name}`}
      assets={props.assets}
    >
      <div class={`staff staff-${props.current}`}>
        <header class="staff-top">
          <p class="brand">
            <span>{m.brand}</span> {session.location.name}
          </p>
          <nav aria-label={m.nav}>
            {pagesFor(session.role).map((page) => (
              <a
                key={page.kind}
                href={page.path + query}
                aria-current={page.kind === props.current ? "page" : undefined}
              >
                {m[`page_${page.kind}`]}
              </a>
            ))}
          </nav>
          <p class="who">
            {fill(m.signedInAs, { who: session.who, role: m[`role_${session.role}`] })}
          </p>
          {session.csrfToken && (
            <form method="post" action="/auth/signout" class="signout">
              <input type="hidden" name="csrfToken" value={session.csrfToken} />
              <input type="hidden" name="next" value={props.path} />
              <button type="submit">{m.signOut}</button>
            </form>
          )}
        </header>
        <main class="staff-main">{props.children}</main>
      </div>
    </Layout>
  );
}
