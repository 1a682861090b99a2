/** Which webhook URLs are refused: at registration and again before every attempt. */
import assert from "node:assert/strict";
import { isPrivateAddress } from "../../lib/webhooks/url_safety.ts";
import { createEndpoint } from "../../lib/webhooks/endpoints.ts";
import { call, expect, type Json, servicesTest } from "../fixtures.ts";
import { placeOrders, startReceiver } from "./receiver.ts";

Deno.test("[webhooks] isPrivateAddress()", () => {
  for (
    const address of [
      "127.0.0.1",
      "127.255.0.9",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fe80::1",
      "fc00::1",
      "fd12:3456::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "64:ff9b::a00:1",
      "ff02::1",
      "not an address",
    ]
  ) assert.equal(isPrivateAddress(address), true, address);
  for (
    const address of ["1.1.1.1", "8.8.8.8", "172.32.0.1", "192.169.0.1", "2606:4700::1111"]
  ) assert.equal(isPrivateAddress(address), false, address);
});

/** The first name in /etc/hosts, other than localhost, that maps to a private address. */
async function privateHostName(): Promise<string | null> {
  const hosts = await Deno.readTextFile("/etc/hosts").catch(() => "");
  for (const line of hosts.split("\n")) {
    const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (!address || !isPrivateAddress(address)) continue;
    const name = names.find((n) => n && !/localhost/.test(n) && /^[a-z0-9.-]+$/i.test(n));
    if (name) return name;
  }
  return null;
}

servicesTest("[webhooks] private addresses are refused at registration", async (t, ctx) => {
  for (
    const url of [
      "http://127.0.0.1:8080/hook",
      "http://localhost:8080/hook",
      "http://api.localhost/hook",
      "http://[::1]/hook",
      "http://10.0.0.7/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://[::ffff:192.168.0.1]/",
      "http://2130706433/",
    ]
  ) {
    const reply = await call(t, "POST", "/api/webhooks", {
      token: t.ownerToken,
      body: { url, events: ["order.created"] },
    });
    const body = expect(reply, 422, "url_private");
    assert.equal(body.error.details[0].path, "url");
  }
  for (const url of ["ftp://example.com/", "http://user:pw@example.com/", "not a url"]) {
    expect(
      await call(t, "POST", "/api/webhooks", {
        token: t.ownerToken,
        body: { url, events: ["order.created"] },
      }),
      422,
      "url_invalid",
    );
  }
  await ctx.step("a hostname that resolves to a private address", async () => {
    // localhost resolves through the resolver too (its hosts file), not only by name.
    const resolved = await Deno.resolveDns("localhost", "A");
    assert.ok(resolved.every(isPrivateAddress));
    const name = await privateHostName();
    if (!name) return console.log("no private name in /etc/hosts but localhost: step skipped");
    assert.ok((await Deno.resolveDns(name, "A")).every(isPrivateAddress), name);
    expect(
      await call(t, "POST", "/api/webhooks", {
        token: t.ownerToken,
        body: { url: `http://${name}:8080/hook`, events: ["order.created"] },
      }),
      422,
      "url_private",
    );
  });
  // Nothing was stored.
  const listed = expect(await call(t, "GET", "/api/webhooks", { token: t.ownerToken }), 200);
  assert.deepEqual(listed.webhooks, []);
});

servicesTest("[webhooks] a private address is refused before every attempt too", async (t) => {
  // Registered behind the API's back (as if allowed once, then the setting changed).
  const receiver = startReceiver();
  try {
    const endpoint = await createEndpoint(t.kv, t.location.id, {
      url: receiver.url,
      events: ["order.created"],
    });
    receiver.setSecret(endpoint.secret);
    await t.services.webhooks.start();
    await placeOrders(t, 1);
    let log: Json[] = [];
    for (let i = 0; i < 50 && log.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      log = expect(
        await call(t, "GET", `/api/webhooks/${endpoint.id}/deliveries`, { token: t.ownerToken }),
        200,
      ).deliveries;
    }
    assert.ok(log.length >= 1);
    assert.equal(log[0].ok, false);
    assert.equal(log[0].status, null);
    assert.match(log[0].error, /^refused: .*127\.0\.0\.1.*private, loopback or link-local/);
    assert.equal(receiver.received.length, 0);
  } finally {
    await receiver.close();
  }
}, { SEATSERVE_WEBHOOKS_RETRY_BASE_MS: "50", SEATSERVE_WEBHOOKS_RETRY_MAX_MS: "100" });
