/**
 * A real OpenID provider for tests (npm `oidc-provider`, its dev interactions accept any login)
 * on a free port, behind a small forwarding proxy that can tamper with the next id token the
 * token endpoint hands out; and a cookie-keeping "browser" that goes through the provider's
 * login and consent forms. Not a test file.
 */
import assert from "node:assert/strict";
import http from "node:http";
import Provider from "oidc-provider";
import { call, freePort, type Reply, type TestServices } from "../fixtures.ts";

/** The client registration the tests configure SeatServe with. */
export const CLIENT = { id: "seatserve-test", secret: "seatserve-test-secret" };
/** Where the provider sends the browser back (never fetched: the tests call the app). */
export const REDIRECT_URL = "http://localhost/auth/callback";

/** A running provider. */
export interface TestProvider {
  issuer: string;
  /** The SeatServe settings that point at it. */
  env: Record<string, string>;
  /** The next id token from the token endpoint gets this email in its payload (signature kept). */
  tamperNextIdToken(email: string): void;
  close(): Promise<void>;
}

/**
 * Starts the provider and its proxy, each on a free port. `redirectUrl`: where it sends the
 * browser back (a real server's `/auth/callback` when a real browser signs in).
 */
export async function startProvider(
  options: { redirectUrl?: string } = {},
): Promise<TestProvider> {
  const redirectUrl = options.redirectUrl ?? REDIRECT_URL;
  const innerPort = freePort();
  const port = freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
      redirect_uris: [redirectUrl],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    }],
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, email: id, email_verified: true, name: `Name of ${id}` }),
    }),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    conformIdTokenClaims: false,
    cookies: { keys: ["a-test-cookie-key"] },
  });
  provider.proxy = true;
  const server = http.createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(innerPort, "127.0.0.1", resolve));

  let tamperEmail: string | null = null;
  const proxy = Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, async (request) => {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.set("x-forwarded-host", `127.0.0.1:${port}`);
    headers.set("x-forwarded-proto", "http");
    const response = await fetch(`http://127.0.0.1:${innerPort}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: request.body ? await request.arrayBuffer() : undefined,
      redirect: "manual",
    });
    if (url.pathname === "/token" && tamperEmail && response.ok) {
      const body = await response.json();
      const [head, payload, signature] = body.id_token.split(".");
      const claims = JSON.parse(new TextDecoder().decode(decodeBase64Url(payload)));
      claims.email = tamperEmail;
      tamperEmail = null;
      body.id_token = [head, encodeBase64Url(JSON.stringify(claims)), signature].join(".");
      const out = new Headers(response.headers);
      out.delete("content-length");
      return new Response(JSON.stringify(body), { status: response.status, headers: out });
    }
    return new Response(response.body, { status: response.status, headers: response.headers });
  });

  return {
    issuer,
    env: {
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: CLIENT.id,
      OIDC_CLIENT_SECRET: CLIENT.secret,
      OIDC_REDIRECT_URL: redirectUrl,
    },
    tamperNextIdToken(email) {
      tamperEmail = email;
    },
    async close() {
      await proxy.shutdown();
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections?.();
    },
  };
}

/** A browser at the provider: keeps its cookies, follows redirects by hand. */
export class ProviderBrowser {
  #cookies = new Map<string, string>();

  async #send(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size) {
      headers.set("cookie", [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair.indexOf("=");
      this.#cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  }

  /**
   * Opens the authorization URL, signs in as `login` and consents; returns the URL the provider
   * sends the browser back to (the callback, with `code` and `state`, or an `error`).
   */
  async authorize(authorizationUrl: string, login: string): Promise<URL> {
    let url = authorizationUrl;
    for (let step = 0; step < 20; step++) {
      if (url.startsWith(REDIRECT_URL)) return new URL(url);
      let response = await this.#send(url);
      if (response.status === 200) {
        const form = parseForm(await response.text(), url);
        const fields = new URLSearchParams(form.fields);
        if (fields.get("prompt") === "login") {
          fields.set("login", login);
          fields.set("password", "any");
        }
        response = await this.#send(form.action, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: fields.toString(),
        });
      } else await response.body?.cancel();
      const location = response.headers.get("location");
      assert.ok(location, `no redirect from ${url} (${response.status})`);
      await response.body?.cancel().catch(() => {});
      url = new URL(location, url).href;
    }
    throw new Error("the provider's flow did not end at the callback");
  }
}

/** The form of a provider page: its action and hidden fields. */
function parseForm(page: string, base: string): { action: string; fields: [string, string][] } {
  const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
  assert.ok(action, `no form in ${page.slice(0, 500)}`);
  const fields: [string, string][] = [];
  for (const match of page.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(match[0])?.[1];
    const value = /value="([^"]*)"/.exec(match[0])?.[1] ?? "";
    if (name) fields.push([name, value]);
  }
  return { action: new URL(action.replaceAll("&amp;", "&"), base).href, fields };
}

/** A session cookie from an answer's `Set-Cookie`, as a `Cookie` header value. */
export function sessionCookieOf(reply: Reply): string {
  const line = reply.headers.getSetCookie().find((l) => l.includes("seatserve_session="));
  assert.ok(line, `no session cookie in ${[...reply.headers].join("; ")}`);
  return line.split(";")[0];
}

/** `/auth/signin` of the app: the authorization URL it redirects to. */
export async function startSignIn(
  t: TestServices,
  query = "",
): Promise<{ reply: Reply; url: string }> {
  const reply = await call(t, "GET", `/auth/signin${query}`);
  assert.equal(reply.status, 302, reply.text);
  return { reply, url: reply.headers.get("location")! };
}

/** The app's `/auth/callback` with the provider's answer. */
export async function finishSignIn(t: TestServices, callback: URL): Promise<Reply> {
  return await call(t, "GET", `/auth/callback${callback.search}`);
}

/** A whole sign-in as `email`; returns the callback's answer (303 with a cookie on success). */
export async function signInAs(
  t: TestServices,
  email: string,
  query = "",
): Promise<Reply> {
  const { url } = await startSignIn(t, query);
  const callback = await new ProviderBrowser().authorize(url, email);
  return await finishSignIn(t, callback);
}

/** A session as `email` (who must be in the directory): its cookie and CSRF token. */
export async function sessionAs(
  t: TestServices,
  email: string,
  query = "",
): Promise<{ cookie: string; csrf: string }> {
  const reply = await signInAs(t, email, query);
  assert.equal(reply.status, 303, reply.text);
  const cookie = sessionCookieOf(reply);
  const me = await call(t, "GET", "/api/me", { headers: { cookie } });
  assert.equal(me.status, 200, me.text);
  return { cookie, csrf: me.body.csrfToken };
}

function decodeBase64Url(text: string): Uint8Array {
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return Uint8Array.from(
    atob(base64 + "=".repeat((4 - base64.length % 4) % 4)),
    (c) => c.charCodeAt(0),
  );
}

function encodeBase64Url(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
