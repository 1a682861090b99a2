/** Configuration (lib/config.ts): the rate limits and the trusted proxy header, read and refused. */
import assert from "node:assert/strict";
import { DEFAULT_RATE_LIMITS, loadConfig } from "../lib/config.ts";

Deno.test("[config] rate limits: on by default, off by one switch, each settable", () => {
  assert.deepEqual(loadConfig({}).rateLimits, DEFAULT_RATE_LIMITS);
  assert.equal(loadConfig({ SEATSERVE_RATE_LIMIT: "off" }).rateLimits, null);
  const set = loadConfig({
    SEATSERVE_RATE_ORDERS_PER_TABLE: "30",
    SEATSERVE_RATE_SIGN_IN: "5/50",
  }).rateLimits!;
  assert.deepEqual(set.ordersPerTable, { perMinute: 30, burst: 30 });
  assert.deepEqual(set.signInPerAddress, { perMinute: 5, burst: 50 });
  assert.deepEqual(set.ordersPerAddress, DEFAULT_RATE_LIMITS.ordersPerAddress);
  for (const bad of ["0", "ten", "5/0", "-1", "5/"]) {
    assert.throws(
      () => loadConfig({ SEATSERVE_RATE_ORDERS_PER_TABLE: bad }),
      /SEATSERVE_RATE_ORDERS_PER_TABLE/,
      bad,
    );
  }
});

Deno.test("[config] a trusted proxy header only when configured", () => {
  assert.equal(loadConfig({}).trustProxyHeader, null);
  assert.equal(loadConfig({ SEATSERVE_TRUST_PROXY: "off" }).trustProxyHeader, null);
  assert.equal(loadConfig({ SEATSERVE_TRUST_PROXY: "1" }).trustProxyHeader, "x-forwarded-for");
  assert.equal(loadConfig({ SEATSERVE_TRUST_PROXY: "X-Real-IP" }).trustProxyHeader, "x-real-ip");
  assert.throws(() => loadConfig({ SEATSERVE_TRUST_PROXY: "a b" }), /SEATSERVE_TRUST_PROXY/);
});

Deno.test("[config] stream caps, drain deadline, CORS origins and request logs", () => {
  const defaults = loadConfig({});
  assert.deepEqual(defaults.streamCaps, { perOrder: 4, perStaff: 50, perAddress: 1000 });
  assert.equal(defaults.drainTimeoutMs, 5_000);
  assert.deepEqual(defaults.corsOrigins, []);
  assert.equal(defaults.requestLog, "off");
  const set = loadConfig({
    SEATSERVE_STREAMS_PER_ORDER: "2",
    SEATSERVE_DRAIN_SECONDS: "30",
    SEATSERVE_CORS_ORIGINS: "https://a.example.com, http://localhost:5173/",
    SEATSERVE_LOG: "json",
  });
  assert.equal(set.streamCaps.perOrder, 2);
  assert.equal(set.drainTimeoutMs, 30_000);
  assert.deepEqual(set.corsOrigins, ["https://a.example.com", "http://localhost:5173"]);
  assert.equal(set.requestLog, "json");
  assert.throws(() => loadConfig({ SEATSERVE_CORS_ORIGINS: "*" }), /SEATSERVE_CORS_ORIGINS/);
  assert.throws(() => loadConfig({ SEATSERVE_LOG: "yes" }), /SEATSERVE_LOG/);
  assert.throws(() => loadConfig({ SEATSERVE_STREAMS_PER_ORDER: "0" }), /SEATSERVE_STREAMS/);
});

Deno.test("[config] HTTPS: both TLS files or neither, the redirect port only with them", () => {
  const plain = loadConfig({ PORT: "8000" });
  assert.equal(plain.tls, null);
  assert.equal(plain.httpRedirectPort, null);
  assert.equal(plain.publicUrl, "http://localhost:8000");
  const https = loadConfig({
    PORT: "8443",
    SEATSERVE_TLS_CERT_FILE: "/etc/seatserve/cert.pem",
    SEATSERVE_TLS_KEY_FILE: "/etc/seatserve/key.pem",
    SEATSERVE_HTTP_REDIRECT_PORT: "80",
  });
  assert.deepEqual(https.tls, {
    certFile: "/etc/seatserve/cert.pem",
    keyFile: "/etc/seatserve/key.pem",
  });
  assert.equal(https.httpRedirectPort, 80);
  assert.equal(https.publicUrl, "https://localhost:8443");
  assert.throws(
    () => loadConfig({ SEATSERVE_TLS_CERT_FILE: "/c.pem" }),
    /needs both SEATSERVE_TLS_CERT_FILE and SEATSERVE_TLS_KEY_FILE; SEATSERVE_TLS_KEY_FILE is not set/,
  );
  assert.throws(
    () => loadConfig({ SEATSERVE_TLS_KEY_FILE: "/k.pem" }),
    /SEATSERVE_TLS_CERT_FILE is not set/,
  );
  assert.throws(
    () => loadConfig({ SEATSERVE_HTTP_REDIRECT_PORT: "80" }),
    /SEATSERVE_HTTP_REDIRECT_PORT redirects to https: it needs SEATSERVE_TLS_CERT_FILE/,
  );
  assert.throws(
    () =>
      loadConfig({
        SEATSERVE_TLS_CERT_FILE: "/c.pem",
        SEATSERVE_TLS_KEY_FILE: "/k.pem",
        SEATSERVE_HTTP_REDIRECT_PORT: "http",
      }),
    /SEATSERVE_HTTP_REDIRECT_PORT must be an integer/,
  );
});
