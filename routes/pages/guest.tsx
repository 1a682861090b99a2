/**
 * `GET /t/<table token>`: the page a table's QR code opens. The menu is rendered on the server
 * in the guest's language (`?lang=`, else `Accept-Language`, else the location's default) and
 * is readable before any script runs; the guest island then adds ordering and tracking. An
 * unknown or rotated token gets a friendly page saying what to do, in the guest's language.
 */
import { Hono } from "hono";
import { Island } from "../../components/island.tsx";
import { Layout } from "../../components/layout.tsx";
import { type PageAssets, sharedAssets } from "../../lib/assets/assets.ts";
import type { EncodedMenu } from "../../lib/catalog/menu_view.ts";
import { guestMessages } from "../../lib/pages/guest_messages.ts";
import { fill } from "../../lib/pages/format.ts";
import { ALLERGENS, type Menu } from "../../lib/schemas.ts";
import GuestPage from "../../islands/guest_page.tsx";
import type { AppEnv } from "../state.ts";
import { pageLanguage, pageResponse, renderDocument } from "./render.tsx";

const parsed = new WeakMap<EncodedMenu, Menu>();

/**
 * Guest pages as rendered, per encoded menu (one per catalog version and language, so a menu or
 * table change renders afresh) and per table and filters: a page is the same bytes for every
 * guest at that table, rendered and compressed once. Bounded per menu: past it, pages are
 * rendered per request (filters are the guest's to vary).
 */
const rendered = new WeakMap<EncodedMenu, Map<string, Uint8Array>>();
const RENDERED_PER_MENU = 1000;

/** The friendly page for an unknown token, per language (it holds nothing of the request). */
const unknownPages = new Map<string, Uint8Array>();

export const guestPages = new Hono<AppEnv>().get("/t/:token", async (c) => {
  const { catalog, config } = c.get("services");
  const assets = (await sharedAssets(config.assetsDir)).page("guest");
  const token = c.req.param("token");
  const found = token.length <= 200 ? await catalog.findByToken(token) : null;
  if (!found) {
    const lang = pageLanguage(c);
    let html = unknownPages.get(lang);
    if (!html) {
      const m = guestMessages(lang);
      html = renderDocument(
        <Layout lang={lang} title={m.unknownTitle} assets={{ styles: assets.styles }}>
          <main class="notice">
            <h1>{m.unknownTitle}</h1>
            <p>{m.unknownBody}</p>
          </main>
        </Layout>,
      );
      unknownPages.set(lang, html);
    }
    c.header("Content-Language", lang);
    return pageResponse(c, html, 404, ["Accept-Language"]);
  }
  const { snapshot, table } = found;
  const lang = snapshot.language(c.req.query("lang"), c.req.header("accept-language"));
  const encoded = snapshot.menu(lang);
  const list = (name: string, valid: (v: string) => boolean) =>
    (c.req.query(name) ?? "").split(",").map((v) => v.trim()).filter(valid).slice(0, 20);
  const avoid = list("exclude", (v) => (ALLERGENS as readonly string[]).includes(v));
  const diets = list("diet", (v) => /^[a-z0-9-]{1,32}$/.test(v));
  const key = `${table.token}\n${avoid.join(",")}\n${diets.join(",")}`;
  let pages = rendered.get(encoded);
  if (!pages) rendered.set(encoded, pages = new Map());
  let html = pages.get(key);
  if (!html) {
    let menu = parsed.get(encoded);
    if (!menu) {
      menu = JSON.parse(new TextDecoder().decode(encoded.body)) as Menu;
      parsed.set(encoded, menu);
    }
    html = renderDocument(
      guestDocument(menu, assets, {
        menu,
        tableToken: table.token,
        tableNumber: table.number,
        avoid,
        diets,
      }),
    );
    if (pages.size < RENDERED_PER_MENU) pages.set(key, html);
  }
  c.header("Content-Language", encoded.lang);
  return pageResponse(c, html, 200, ["Accept-Language"], () => catalog.isCurrent(snapshot));
});

/** The guest page: the table's header, the language switch, and the guest island. */
function guestDocument(
  menu: Menu,
  assets: PageAssets,
  props: {
    menu: Menu;
    tableToken: string;
    tableNumber: number;
    avoid: string[];
    diets: string[];
  },
) {
  const m = guestMessages(menu.lang);
  const table = { number: props.tableNumber };
  return (
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
    </Layout>
  );
}
