/**
 * `GET /admin/tables`: the tables with their QR codes, to add, change, remove and give new
 * codes; and `GET /admin/tables/print`: every table's code on A4 cards to cut out, rendered
 * here as inline SVG by the one QR renderer (lib/catalog/qr.ts), without the navigation.
 */
import type { Context } from "hono";
import { Island } from "../../../components/island.tsx";
import { Layout } from "../../../components/layout.tsx";
import { sharedAssets } from "../../../lib/assets/assets.ts";
import { tableQrSvg } from "../../../lib/catalog/qr.ts";
import { adminMessages } from "../../../lib/pages/admin_messages.ts";
import { fill } from "../../../lib/pages/format.ts";
import { staffMessages } from "../../../lib/pages/staff_messages.ts";
import AdminTables from "../../../islands/admin/tables.tsx";
import { staffTables } from "../../api/tables.ts";
import type { AppEnv, StaffEnv } from "../../state.ts";
import { renderPage } from "../render.tsx";
import { staffSession } from "../staff_page.tsx";
import { AdminFrame } from "./frame.tsx";
import { pathOf } from "./path.ts";

export async function tablesPage(c: Context<StaffEnv>): Promise<Response> {
  const { kv, config } = c.get("services");
  const session = staffSession(c);
  const m = adminMessages(session.lang);
  const tables = await staffTables(kv, c.get("location").id, config.publicUrl);
  const assets = (await sharedAssets(config.assetsDir)).page("admin");
  const query = session.locationQuery
    ? `?location=${encodeURIComponent(session.locationQuery)}`
    : "";
  return renderPage(
    c as unknown as Context<AppEnv>,
    <AdminFrame
      session={session}
      section="tables"
      path={pathOf(c)}
      title={staffMessages(session.lang).admin_tables}
      assets={assets}
    >
      <p>
        <a class="button print-link" href={`/admin/tables/print${query}`}>{m.printSheet}</a>
      </p>
      <Island name="AdminTables" component={AdminTables} props={{ session, tables }} />
    </AdminFrame>,
  );
}

export async function printSheet(c: Context<StaffEnv>): Promise<Response> {
  const { kv, config } = c.get("services");
  const session = staffSession(c);
  const m = adminMessages(session.lang);
  const tables = await staffTables(kv, c.get("location").id, config.publicUrl);
  const codes = await Promise.all(tables.map((t) => tableQrSvg(config.publicUrl, t.token!)));
  const { styles } = (await sharedAssets(config.assetsDir)).page("admin");
  const query = session.locationQuery
    ? `?location=${encodeURIComponent(session.locationQuery)}`
    : "";
  return renderPage(
    c as unknown as Context<AppEnv>,
    <Layout
      lang={session.lang}
      title={`${m.printTitle} · ${session.location.name}`}
      assets={{ styles }}
    >
      <main class="print-sheet">
        <header class="print-head">
          <h1>{m.printTitle}</h1>
          <p>{m.printIntro} {m.printButtonHint}</p>
          <p>
            <a href={`/admin/tables${query}`}>{m.back}</a>
          </p>
        </header>
        <ul class="print-cards">
          {tables.map((table, i) => (
            <li key={table.id} class="print-card" data-table={table.id}>
              <p class="restaurant">{session.location.name}</p>
              <p class="table-number">{fill(m.tableN, { n: table.number })}</p>
              <div
                class="code"
                role="img"
                aria-label={fill(m.qrOf, { n: table.number })}
                dangerouslySetInnerHTML={{ __html: codes[i] }}
              />
              <p class="scan">{m.scanToOrder}</p>
            </li>
          ))}
        </ul>
      </main>
    </Layout>,
  );
}
