/**
 * Request context (routes/middleware/request_context.ts): every answer carries `X-Request-Id`,
 * the client's own when sane; the client address comes from the socket unless a proxy is trusted.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { clientAddressOf } from "../../routes/middleware/request_context.ts";
import type { AppEnv } from "../../routes/state.ts";
import { call, servicesTest } from "../fixtures.ts";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

servicesTest("[request id] on answers, errors and 404s; a sane client id is kept", async (s) => {
  const ok = await call(s, "GET", "/api/health/live");
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get("x-request-id") ?? "", ULID);

  const missing = await call(s, "GET", "/api/nothing-here");
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get("x-request-id") ?? "", ULID);

  const refused = await call(s, "GET", "/api/orders", { token: "forged" });
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get("x-request-id") ?? "", ULID);

  const own = await call(s, "GET", "/api/health/live", { headers: { "x-request-id": "abc-123" } });
  assert.equal(own.headers.get("x-request-id"), "abc-123");

  for (const insane of ["has space", "x".repeat(129), "line\tbreak"]) {
    const replaced = await call(s, "GET", "/api/health/live", {
      headers: { "x-request-id": insane },
    });
    assert.match(replaced.headers.get("x-request-id") ?? "", ULID, insane);
  }
});

Deno.test("[client address] the socket's, or the trusted proxy's header only", async () => {
  const seen = (trust: string | null) => {
    const app = new Hono<AppEnv>().get("/", (c) => c.text(clientAddressOf(c, trust)));
    return async (headers: Record<string, string>) => {
      const info = { remoteAddr: { transport: "tcp", hostname: "10.1.2.3", port: 5000 } };
      const res = await app.fetch(new Request("http://x/", { headers }), info);
      return await res.text();
    };
  };
  const untrusted = seen(null);
  assert.equal(await untrusted({}), "10.1.2.3");
  assert.equal(await untrusted({ "x-forwarded-for": "6.6.6.6" }), "10.1.2.3");
  const trusted = seen("x-forwarded-for");
  assert.equal(await trusted({ "x-forwarded-for": "6.6.6.6, 192.0.2.7" }), "192.0.2.7");
  assert.equal(await trusted({}), "10.1.2.3");
});
