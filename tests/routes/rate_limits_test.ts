/**
 * Rate limits wired (shared/API.md v1.1): orders per table token and per client address,
 * refused credentials per address; 429 `rate_limited` with `Retry-After`; one flooding table or
 * address never limits another; off by environment; the address is the socket's unless a proxy
 * is trusted.
 */
import assert from "node:assert/strict";
import { call, expect, readOrders, servicesTest } from "../fixtures.ts";
import { callFrom, simpleOrder, tokensByNumber } from "./hardening_fixture.ts";

const LIMITS_ON = { SEATSERVE_RATE_LIMIT: "on" };

servicesTest(
  "[rate limits] a flooding table gets 429 with Retry-After; another table keeps ordering",
  async (s) => {
    const tokens = await tokensByNumber(s);
    const flood = await simpleOrder(s, tokens.get(1)!);
    const statuses: number[] = [];
    let refused = null;
    for (let i = 0; i < 15; i++) {
      const reply = await callFrom(s, "10.0.0.1", "POST", "/api/orders", { body: flood });
      statuses.push(reply.status);
      if (reply.status === 429) refused ??= reply;
    }
    // The default burst of a table is 10 (6 a minute after it).
    assert.deepEqual(statuses, [...Array(10).fill(201), ...Array(5).fill(429)]);
    expect(refused!, 429, "rate_limited");
    const retryAfter = Number(refused!.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 10, `Retry-After ${retryAfter}`);
    // Another table, from the same address, is not limited by the first one's flood.
    const other = await callFrom(s, "10.0.0.1", "POST", "/api/orders", {
      body: await simpleOrder(s, tokens.get(2)!),
    });
    assert.equal(other.status, 201, other.text);
    // The refused orders were never written.
    const orders = await readOrders(s);
    assert.equal(orders.filter((o) => o.tableNumber === 1).length, 10);
    assert.equal(orders.filter((o) => o.tableNumber === 2).length, 1);
  },
  LIMITS_ON,
);

servicesTest(
  "[rate limits] SEATSERVE_RATE_LIMIT=off: a flood from one table is never limited",
  async (s) => {
    const tokens = await tokensByNumber(s);
    const body = await simpleOrder(s, tokens.get(1)!);
    const replies = await Promise.all(
      Array.from({ length: 40 }, () => callFrom(s, "10.0.0.1", "POST", "/api/orders", { body })),
    );
    assert.deepEqual(replies.map((r) => r.status), Array(40).fill(201));
    assert.equal((await readOrders(s)).length, 40);
  },
  { SEATSERVE_RATE_LIMIT: "off" },
);

servicesTest(
  "[rate limits] per address: the socket's address, a forwarded header ignored",
  async (s) => {
    const tokens = await tokensByNumber(s);
    const statuses: number[] = [];
    for (let n = 1; n <= 4; n++) {
      const reply = await callFrom(s, "10.0.0.7", "POST", "/api/orders", {
        body: await simpleOrder(s, tokens.get(n)!),
        // A header anyone can set does not make each request another address.
        headers: { "x-forwarded-for": `198.51.100.${n}` },
      });
      statuses.push(reply.status);
    }
    assert.deepEqual(statuses, [201, 201, 201, 429]);
    // Another address is not limited by this one.
    const other = await callFrom(s, "10.0.0.8", "POST", "/api/orders", {
      body: await simpleOrder(s, tokens.get(5)!),
    });
    assert.equal(other.status, 201);
  },
  { ...LIMITS_ON, SEATSERVE_RATE_ORDERS_PER_ADDRESS: "3/3" },
);

servicesTest(
  "[rate limits] per address behind a trusted proxy: the proxy's header names the guest",
  async (s) => {
    const tokens = await tokensByNumber(s);
    const statuses: number[] = [];
    for (let n = 1; n <= 4; n++) {
      const reply = await callFrom(s, "127.0.0.1", "POST", "/api/orders", {
        body: await simpleOrder(s, tokens.get(n)!),
        headers: { "x-real-ip": `198.51.100.${n}` },
      });
      statuses.push(reply.status);
    }
    assert.deepEqual(statuses, [201, 201, 201, 201]);
    const again = [];
    for (let i = 0; i < 3; i++) {
      again.push(
        (await callFrom(s, "127.0.0.1", "POST", "/api/orders", {
          body: await simpleOrder(s, tokens.get(6)!),
          headers: { "x-real-ip": "198.51.100.1" },
        })).status,
      );
    }
    assert.deepEqual(again, [201, 201, 429]);
  },
  { ...LIMITS_ON, SEATSERVE_RATE_ORDERS_PER_ADDRESS: "3/3", SEATSERVE_TRUST_PROXY: "x-real-ip" },
);

servicesTest(
  "[rate limits] 80 tables behind one Wi-Fi address, three orders each in a minute: none limited",
  async (s) => {
    const tokens = [...(await tokensByNumber(s)).values()];
    for (let number = 13; number <= 80; number++) {
      const created = expect(
        await call(s, "POST", "/api/tables", { token: s.ownerToken, body: { number, seats: 4 } }),
        201,
      );
      tokens.push(created.token);
    }
    assert.equal(tokens.length, 80);
    const bodies = await Promise.all(tokens.map((token) => simpleOrder(s, token)));
    // Three rounds, every table at once each round: 240 orders from one address in seconds,
    // a harsher pace than "a few orders a table in a minute".
    for (let round = 0; round < 3; round++) {
      const replies = await Promise.all(
        bodies.map((body) => callFrom(s, "192.0.2.10", "POST", "/api/orders", { body })),
      );
      const refused = replies.filter((r) => r.status !== 201);
      assert.equal(refused.length, 0, `round ${round}: ${refused[0]?.text}`);
    }
    assert.equal((await readOrders(s)).length, 240);
  },
  LIMITS_ON,
);

servicesTest(
  "[rate limits] guessing tokens: refused credentials throttle that address, not others",
  async (s) => {
    const tokens = await tokensByNumber(s);
    const guesses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const reply = await callFrom(s, "10.9.9.9", "GET", `/api/menu?table=guess-${i}`);
      guesses.push(reply.status);
    }
    assert.deepEqual(guesses, [401, 401, 401, 401, 401, 429, 429, 429]);
    // While cooling down, even a valid token from that address is not looked at.
    const blocked = await callFrom(s, "10.9.9.9", "GET", `/api/menu?table=${tokens.get(1)}`);
    expect(blocked, 429, "rate_limited");
    assert.ok(Number(blocked.headers.get("retry-after")) >= 1);
    const staff = await callFrom(s, "10.9.9.9", "GET", "/api/orders", { token: "guess" });
    expect(staff, 429, "rate_limited");
    // The guest page's unknown tokens count too, from another address.
    const pages: number[] = [];
    for (let i = 0; i < 6; i++) {
      pages.push((await callFrom(s, "10.9.9.11", "GET", `/t/guess-${i}`)).status);
    }
    assert.deepEqual(pages, [404, 404, 404, 404, 404, 429]);
    // A request without credentials from that address still works, and other addresses too.
    expect(await callFrom(s, "10.9.9.9", "GET", "/api/menu?location=demo"), 200);
    expect(await callFrom(s, "10.9.9.10", "GET", `/api/menu?table=${tokens.get(1)}`), 200);
    expect(
      await callFrom(s, "10.9.9.10", "GET", "/api/orders", { token: s.ownerToken }),
      200,
    );
  },
  { ...LIMITS_ON, SEATSERVE_RATE_FAILED_AUTH: "1/5" },
);
