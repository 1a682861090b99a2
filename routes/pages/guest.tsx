/**
 * `GET /t/<table token>`: the page a table's QR code opens. The menu is rendered on the server
 * in the guest's language (`?lang=`, else `Accept-Language`, else the location's default) and
 * is readable before any script runs; the guest island then adds ordering and tracking. An
 * unknown or rotated token gets a friendly page saying what to do, in the guest's language.
 */
import { Hono } from "hono";
import { Island } from "../../components/island.tsx";
import { Layout } from "../../components/layout.tsx";
import { sharedAssets } from "../../lib/assets/assets.ts";
import type { EncodedMenu } from "../../lib/catalog/menu_view.ts";
import { guestMessages } from "../../lib/pages/guest_messages.ts";
import { fill } from "../../lib/pages/format.ts";
import { ALLERGENS, type Menu } from "../../lib/schemas.ts";
import GuestPage from "../../islands/guest_page.tsx";
import type { AppEnv } from "../state.ts";
import { pageLanguage, renderPage } from "./render.tsx";

const parsed = new WeakMap<EncodedMenu, Menu>();

export const guestPages = new Hono<AppEnv>().get("/t/:token", async (c) => {
  const { catalog, config } = c.get("services");
  const assets = (await sharedAssets(config.assetsDir)).page("guest");
  const token = c.req.param("token");
  const found = token.length <= 200 ? await catalog.findByToken(token) : null;
  if (!found) {
    const lang = pageLanguage(c);
    const m = guestMessages(lang);
    return renderPage(
      c,
      <Layout lang={lang} title={m.unknownTitle} assets={{ styles: assets.styles }}>
        <main class="notice">
          <h1>{m.unknownTitle}</h1>
          <p>{m.unknownBody}</p>
        </main>
      </Layout>,
      404,
    );
  }
  const { snapshot, table } = found;
  const lang = snapshot.language(c.req.query("lang"), c.req.header("accept-language"));
  const encoded = snapshot.menu(lang);
  let menu = parsed.get(encoded);
  if (!menu) {
    menu = JSON.parse(new TextDecoder().decode(encoded.body)) as Menu;
    parsed.set(encoded, menu);
  }
  const m = guestMessages(menu.lang);
  const list = (name: string, valid: (v: string) => boolean) =>
    (c.req.query(name) ?? "").split(",").map((v) => v.trim()).filter(valid).slice(0, 20);
  const props = {
    menu,
    tableToken: table.token,
    tableNumber: table.number,
    avoid: list("exclude", (v) => (ALLERGENS as readonly string[]).includes(v)),
    diets: list("diet", (v) => /^[a-z0-9-]{1,32}$/.test(v)),
  };
  c.header("Content-Language", menu.lang);
  c.header("Vary", "Accept-Language");
  return renderPage(
    c,
    <Layout
      lang={menu.lang}
      title={`${menu.location.name} · ${fill(m.table, { n: table.number })}`}
      assets={assets}
    >
      <header class="top">
        <div>
          <h1>{menu.location.name}</h1>
          <p class="table">{fill(m.table, { n: table.number })}</p>
        </div>
        {menu.location.languages.length > 1 && (
          <nav class="languages" aria-label={m.language}>
            {menu.location.languages.map((code) => (
              <a
                key={code}
                href={`?lang=${code}`}
                hreflang={code}
                lang={code}
                aria-current={code === menu.lang ? "true" : undefined}
              >
                {code.toUpperCase()}
              </a>
            ))}
          </nav>
        )}
      </header>
      <main>
        <Island name="GuestPage" component={GuestPage} props={props} />
      </main>
    </Layout>,
  );
});
