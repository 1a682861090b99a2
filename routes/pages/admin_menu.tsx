/**
 * `/admin/menu`: the menu editor (islands/menu_editor_page.tsx). The location's items as stored,
 * unavailable ones and options included, are rendered on the server by category with their
 * switches, so the page reads before any script runs; the island then edits and follows the
 * menu stream.
 */
import { type Context, Hono } from "hono";
import { Island } from "../../components/island.tsx";
import { sharedAssets } from "../../lib/assets/assets.ts";
import { menuMessages } from "../../lib/pages/menu_messages.ts";
import { STAFF_PAGES } from "../../lib/pages/staff_pages.ts";
import { ALLERGENS, type MenuItem } from "../../lib/schemas.ts";
import MenuEditorPage from "../../islands/menu_editor_page.tsx";
import type { AppEnv } from "../state.ts";
import { AdminFrame } from "./admin/frame.tsx";
import { renderPage } from "./render.tsx";
import { staffPage, staffSession } from "./staff_page.tsx";

const adminPage = STAFF_PAGES.find((p) => p.kind === "admin")!;

export const menuEditorPages = new Hono<AppEnv>().get(
  "/admin/menu",
  staffPage(adminPage),
  async (c) => {
    const { catalog, config } = c.get("services");
    const session = staffSession(c);
    const snapshot = await catalog.get(c.get("location").id);
    const props = {
      session,
      languages: [...(snapshot?.languages ?? [c.get("location").defaultLanguage])],
      allergens: [...ALLERGENS],
      items: (snapshot?.itemList ?? []) as MenuItem[],
    };
    const m = menuMessages(session.lang);
    const url = new URL(c.req.url);
    return renderPage(
      c as unknown as Context<AppEnv>,
      <AdminFrame
        session={session}
        section="menu"
        path={url.pathname + url.search}
        title={m.title}
        assets={(await sharedAssets(config.assetsDir)).page("menu_editor")}
        class="admin-menu-page"
      >
        <Island name="MenuEditorPage" component={MenuEditorPage} props={props} />
      </AdminFrame>,
    );
  },
);
