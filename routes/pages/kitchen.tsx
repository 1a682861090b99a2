/**
 * `GET /kitchen`: the kitchen display. The tickets are rendered on the server as of a feed
 * position (useful before any script runs), and the island's stream resumes from there. A
 * station picker (`?station=`, the stations of the menu's items) and the expo view (no station:
 * every order). The ticket-age thresholds and auto-accept come from the location's settings
 * with the render, since the kitchen role may not read settings.
 */
import { type Context, Hono } from "hono";
import { Island } from "../../components/island.tsx";
import { StaffLayout } from "../../components/staff_layout.tsx";
import { sharedAssets } from "../../lib/assets/assets.ts";
import { kitchenStart } from "../../lib/feed/streams.ts";
import { allergenIndex } from "../../lib/pages/allergens.ts";
import { guestMessages } from "../../lib/pages/guest_messages.ts";
import { kitchenMessages } from "../../lib/pages/kitchen_messages.ts";
import { STAFF_PAGES } from "../../lib/pages/staff_pages.ts";
import { ALLERGENS, slugTag } from "../../lib/schemas.ts";
import KitchenPage from "../../islands/kitchen_page.tsx";
import type { AppEnv, StaffEnv } from "../state.ts";
import { staffPage, staffSession } from "./staff_page.tsx";
import { renderPage } from "./render.tsx";

export const kitchenPages = new Hono<StaffEnv>().get(
  "/kitchen",
  staffPage(STAFF_PAGES.find((p) => p.kind === "kitchen")!),
  async (c) => {
    const { catalog, hubs, config } = c.get("services");
    const session = staffSession(c);
    const m = kitchenMessages(session.lang);
    const asked = c.req.query("station") ?? "";
    const station = slugTag.safeParse(asked).success ? asked : null;
    const snapshot = await catalog.get(session.location.id);
    const items = snapshot?.itemList ?? [];
    const stations = [...new Set(items.map((i) => i.station))].sort();
    const hub = await hubs.get(session.location.id);
    const live = await kitchenStart(hub, { station: station ?? undefined });
    const settings = snapshot?.settings;
    const names = guestMessages(session.lang) as unknown as Record<string, string>;
    const props = {
      session,
      station,
      start: { ...live, requests: undefined, at: Date.now() },
      allergens: allergenIndex(items),
      allergenNames: Object.fromEntries(ALLERGENS.map((a) => [a, names[`allergen_${a}`] ?? a])),
      warnMinutes: settings?.ticketWarnMinutes ?? 10,
      lateMinutes: settings?.ticketLateMinutes ?? 20,
      autoAccept: settings?.autoAccept ?? false,
      orderingPaused: settings?.orderingPaused ?? false,
    };
    const link = (name: string | null) => {
      const query = new URLSearchParams();
      if (name) query.set("station", name);
      if (session.locationQuery) query.set("location", session.locationQuery);
      return `/kitchen${query.toString() ? `?${query}` : ""}`;
    };
    const path = link(station);
    const assets = (await sharedAssets(config.assetsDir)).page("kitchen");
    return renderPage(
      c as unknown as Context<AppEnv>,
      <StaffLayout session={session} current="kitchen" path={path} title={m.title} assets={assets}>
        <nav class="stations" aria-label={m.stations}>
          {[null, ...stations].map((name) => (
            <a
              key={name ?? ""}
              href={link(name)}
              aria-current={name === station ? "page" : undefined}
            >
              {name ?? m.expo}
            </a>
          ))}
        </nav>
        <h1 class="visually-hidden">{station ? `${m.title}: ${station}` : m.title}</h1>
        <Island name="KitchenPage" component={KitchenPage} props={props} />
      </StaffLayout>,
    );
  },
);
