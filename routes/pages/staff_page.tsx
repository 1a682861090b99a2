/**
 * The guard in front of every staff page (`/kitchen`, `/floor`, `/admin`): a signed-in session
 * (OIDC, or a device or bootstrap token opened once with `?access_token=`, see
 * routes/middleware/device_sign_in.ts) holding the page's permission. Without one the browser
 * gets a sign-in page (401) that offers the staff account sign-in and a device-token form; with
 * the wrong role a page saying so (403). The page then reads who it is from `staffSession`.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { Layout } from "../../components/layout.tsx";
import { sharedAssets } from "../../lib/assets/assets.ts";
import type { Principal } from "../../lib/auth/principal.ts";
import { can } from "../../lib/auth/roles.ts";
import { AppError } from "../../lib/errors.ts";
import { fill } from "../../lib/pages/format.ts";
import { type StaffMessages, staffMessages } from "../../lib/pages/staff_messages.ts";
import { homeFor, type StaffPageEntry } from "../../lib/pages/staff_pages.ts";
import type { StaffPageSession } from "../../lib/pages/staff_session.ts";
import { authenticate, resolveLocation } from "../middleware/auth.ts";
import type { AppEnv, StaffEnv } from "../state.ts";
import { pageLanguage, renderPage } from "./render.tsx";

/** Lets only staff holding `page`'s permission through; answers everyone else with a page. */
export function staffPage(page: StaffPageEntry) {
  return createMiddleware<StaffEnv>(async function requireStaffPage(c, next) {
    const anyContext = c as unknown as Context<AppEnv>;
    let principal: Principal | null = null;
    let ended = false;
    try {
      principal = await authenticate(anyContext);
    } catch (error) {
      if (!(error instanceof AppError) || error.kind !== "unauthorized") throw error;
      ended = true;
    }
    if (!principal) return signInPage(anyContext, ended);
    if (!can(principal.role, page.permission)) {
      return notice(anyContext, 403, (m) => ({
        title: m.forbiddenTitle,
        body: fill(m.forbiddenBody, { role: m[`role_${principal.role}`] }),
        link: { href: homeFor(principal.role), text: m.goHome },
      }));
    }
    const slug = c.req.query("location") || undefined;
    try {
      c.set("location", await resolveLocation(c.get("services").kv, principal, slug));
    } catch (error) {
      if (!(error instanceof AppError) || !["not_found", "forbidden"].includes(error.kind)) {
        throw error;
      }
      return notice(anyContext, 404, (m) => ({ title: m.notFoundTitle, body: m.notFoundBody }));
    }
    c.set("principal", principal);
    await next();
  });
}

/** Who opened this staff page, for the page and its islands. */
export function staffSession(c: Context<StaffEnv>): StaffPageSession {
  const principal = c.get("principal");
  const location = c.get("location");
  const anyContext = c as unknown as Context<AppEnv>;
  return {
    role: principal.role,
    who: principal.email ?? principal.label,
    csrfToken: principal.session?.csrfToken,
    location: {
      id: location.id,
      slug: location.slug,
      name: location.name,
      currency: location.currency,
    },
    locationQuery: c.req.query("location") || undefined,
    lang: pageLanguage(anyContext, location.defaultLanguage),
  };
}

async function signInPage(c: Context<AppEnv>, ended: boolean): Promise<Response> {
  const lang = pageLanguage(c);
  const m = staffMessages(lang);
  const url = new URL(c.req.url);
  const next = url.pathname + url.search;
  const signIn = `/auth/signin?${new URLSearchParams({
    next,
    ...(url.searchParams.get("location") ? { location: url.searchParams.get("location")! } : {}),
  })}`;
  const { styles } = (await sharedAssets(c.get("services").config.assetsDir)).page("guest");
  return renderPage(
    c,
    <Layout lang={lang} title={`${m.signInTitle} · ${m.brand}`} assets={{ styles }}>
      <main class="notice signin">
        <h1>{m.signInTitle}</h1>
        <p>{ended ? m.sessionEnded : m.signInIntro}</p>
        {c.get("services").oidc && (
          <p>
            <a class="button primary" href={signIn}>{m.signInWithAccount}</a>
          </p>
        )}
        <form method="get" action={url.pathname}>
          <fieldset>
            <legend>{m.tokenLegend}</legend>
            {[...url.searchParams].filter(([name]) => name !== "access_token").map((
              [name, value],
            ) => <input key={name} type="hidden" name={name} value={value} />)}
            <label for="access-token">{m.tokenLabel}</label>
            <input
              id="access-token"
              name="access_token"
              type="password"
              autocomplete="off"
              required
              aria-describedby="access-token-hint"
            />
            <p id="access-token-hint" class="hint">{m.tokenHint}</p>
            <button type="submit" class="primary">{m.open}</button>
          </fieldset>
        </form>
      </main>
    </Layout>,
    401,
  );
}

async function notice(
  c: Context<AppEnv>,
  status: 403 | 404,
  text: (
    m: StaffMessages,
  ) => { title: string; body: string; link?: { href: string; text: string } },
): Promise<Response> {
  const lang = pageLanguage(c);
  const { title, body, link } = text(staffMessages(lang));
  const { styles } = (await sharedAssets(c.get("services").config.assetsDir)).page("guest");
  return renderPage(
    c,
    <Layout lang={lang} title={title} assets={{ styles }}>
      <main class="notice">
        <h1>{title}</h1>
        <p>{body}</p>
        {link && (
          <p>
            <a href={link.href}>{link.text}</a>
          </p>
        )}
      </main>
    </Layout>,
    status,
  );
}
