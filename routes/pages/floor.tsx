/**
 * `GET /floor`: the floor page for servers. The calls, the orders to accept and to serve, and
 * the tables with their open bills are rendered on the server as of a feed position (useful
 * before any script runs); the island's stream resumes from there.
 */
import { type Context, Hono } from "hono";
import { Island } from "../../components/island.tsx";
import { StaffLayout } from "../../components/staff_layout.tsx";
import { sharedAssets } from "../../lib/assets/assets.ts";
import { listTables } from "../../lib/catalog/tables.ts";
import { kitchenStart } from "../../lib/feed/streams.ts";
import { floorMessages } from "../../lib/pages/floor_messages.ts";
import { STAFF_PAGES } from "../../lib/pages/staff_pages.ts";
import { getOpenVisit } from "../../lib/visits/store.ts";
import FloorPage from "../../islands/floor_page.tsx";
import type { AppEnv, StaffEnv } from "../state.ts";
import { staffPage, staffSession } from "./staff_page.tsx";
import { renderPage } from "./render.tsx";

export const floorPages = new Hono<StaffEnv>().get(
  "/floor",
  staffPage(STAFF_PAGES.find((p) => p.kind === "floor")!),
  async (c) => {
    const { catalog, hubs, kv, config } = c.get("services");
    const session = staffSession(c);
    const m = floorMessages(session.lang);
    const locationId = session.location.id;
    const hub = await hubs.get(locationId);
    const [live, tables, snapshot] = await Promise.all([
      kitchenStart(hub, { requests: true }),
      listTables(kv, locationId),
      catalog.get(locationId),
    ]);
    const visits = Object.fromEntries(
      await Promise.all(tables.map(async (table) => {
        const visit = await getOpenVisit(kv, locationId, table.id);
        if (!visit) return [table.id, null];
        const { locationId: _, ...view } = visit;
        return [table.id, view];
      })),
    );
    const props = {
      session,
      start: { ...live, at: Date.now() },
      tables: tables.map((t) => ({ id: t.id, number: t.number, seats: t.seats })),
      visits,
      autoAccept: snapshot?.settings.autoAccept ?? false,
      orderingPaused: snapshot?.settings.orderingPaused ?? false,
    };
    const path = `/floor${
      session.locationQuery ? `?location=${encodeURIComponent(session.locationQuery)}` : ""
    }`;
    const assets = (await sharedAssets(config.assetsDir)).page("floor");
    return renderPage(
      c as unknown as Context<AppEnv>,
      <StaffLayout session={session} current="floor" path={path} title={m.title} assets={assets}>
        <h1 class="visually-hidden">{m.title}</h1>
        <Island name="FloorPage" component={FloorPage} props={props} />
      </StaffLayout>,
    );
  },
);
