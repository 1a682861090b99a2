/**
 * Kept answers (lib/http/kept_answers.ts, routes/kept_answers.ts): a repeated menu or guest page
 * read is answered from memory, byte for byte as the application answered it, with its own
 * request id; a catalog change is seen by the very next read; personal requests, a draining
 * process and an address refused for guessing go to the application.
 */
import assert from "node:assert/strict";
import {
  call,
  expect,
  menuItems,
  OWNER_TOKEN,
  servicesTest,
  tablesOf,
  type TestServices,
  withServices,
} from "../fixtures.ts";

const BROWSER = { "accept-encoding": "gzip, deflate, br", "accept-language": "de-DE,de;q=0.9" };

/** An answer as bytes (a compressed body is not decoded), with its headers. */
async function get(s: TestServices, path: string, headers: Record<string, string> = BROWSER) {
  const response = await s.app.request(path, { headers });
  return {
    status: response.status,
    headers: response.headers,
    bytes: new Uint8Array(await response.arrayBuffer()),
  };
}

/** The headers but the request's own. */
function shared(headers: Headers): [string, string][] {
  return [...headers].filter(([name]) => name !== "x-request-id" && name !== "date");
}

servicesTest("[kept answers] menus and guest pages: the same bytes from memory", async (s, t) => {
  const answers = s.services.answers;
  assert.ok(answers.enabled);

  await t.step("a repeat is the application's answer again, with its own request id", async () => {
    const first = await get(s, "/api/menu?location=demo");
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("content-encoding"), "br");
    assert.equal(first.headers.get("content-language"), "de");
    const hits = answers.hits;
    const again = await get(s, "/api/menu?location=demo");
    assert.equal(answers.hits, hits + 1, "answered from memory");
    assert.deepEqual(again.bytes, first.bytes);
    assert.deepEqual(shared(again.headers), shared(first.headers));
    assert.match(again.headers.get("x-request-id")!, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.notEqual(again.headers.get("x-request-id"), first.headers.get("x-request-id"));
    const traced = await get(s, "/api/menu?location=demo", { ...BROWSER, "x-request-id": "t-1" });
    assert.equal(answers.hits, hits + 2);
    assert.equal(traced.headers.get("x-request-id"), "t-1", "the client's id, as the app echoes");
    assert.deepEqual(traced.bytes, first.bytes, "every use sends the whole body again");
  });

  await t.step("language and coding each have their own answer", async () => {
    const plain = { "accept-language": "en" };
    const english = await get(s, "/api/menu?location=demo", plain);
    assert.equal(english.headers.get("content-encoding"), null);
    const menu = JSON.parse(new TextDecoder().decode(english.bytes));
    assert.equal(menu.lang, "en");
    const hits = answers.hits;
    const again = await get(s, "/api/menu?location=demo", plain);
    assert.equal(answers.hits, hits + 1);
    assert.deepEqual(again.bytes, english.bytes);
    const german = expect(
      await call(s, "GET", "/api/menu?location=demo&lang=de"),
      200,
    );
    assert.equal(german.lang, "de");
    assert.notDeepEqual(
      german.items.map((i: { name: string }) => i.name),
      menu.items.map((i: { name: string }) => i.name),
    );
  });

  await t.step("an 86 is in the very next read", async () => {
    const item = (await menuItems(s, true))[0];
    const path = "/api/menu?location=demo&lang=en";
    const before = expect(await call(s, "GET", path), 200);
    expect(await call(s, "GET", path), 200); // kept now
    assert.equal(before.items.find((i: { id: string }) => i.id === item.id).available, true);
    expect(
      await call(s, "PATCH", `/api/menu/items/${item.id}`, {
        token: OWNER_TOKEN,
        body: { available: false },
      }),
      200,
    );
    const hits = answers.hits;
    const after = expect(await call(s, "GET", path), 200);
    assert.equal(answers.hits, hits, "not the kept answer");
    assert.equal(after.items.find((i: { id: string }) => i.id === item.id).available, false);
    const again = expect(await call(s, "GET", path), 200);
    assert.equal(answers.hits, hits + 1, "the new answer is kept in turn");
    assert.deepEqual(again, after);
    expect(
      await call(s, "PATCH", `/api/menu/items/${item.id}`, {
        token: OWNER_TOKEN,
        body: { available: true },
      }),
      200,
    );
  });

  await t.step("personal requests go to the application", async () => {
    const path = "/api/menu?location=demo";
    const kept = await get(s, path);
    const hits = answers.hits;
    const etag = kept.headers.get("etag")!;
    const notModified = await get(s, path, { ...BROWSER, "if-none-match": etag });
    assert.equal(notModified.status, 304);
    for (
      const extra of [
        { cookie: "a=b" } as Record<string, string>,
        { authorization: `Bearer ${OWNER_TOKEN}` },
        { origin: "https://elsewhere.example" },
        { range: "bytes=0-10" },
      ]
    ) {
      const reply = await get(s, path, { ...BROWSER, ...extra });
      assert.equal(reply.status, 200, JSON.stringify(extra));
    }
    assert.equal(answers.hits, hits, "none of them from memory");
  });

  await t.step("guest pages; a rotated table token's page is gone at once", async () => {
    const table = (await tablesOf(s))[0];
    const path = `/t/${table.token}`;
    const first = await get(s, path);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("content-type"), "text/html; charset=UTF-8");
    const hits = answers.hits;
    const again = await get(s, path);
    assert.equal(answers.hits, hits + 1);
    assert.deepEqual(again.bytes, first.bytes);
    assert.deepEqual(shared(again.headers), shared(first.headers));
    const menuPath = `/api/menu?table=${encodeURIComponent(table.token)}`;
    expect(await call(s, "GET", menuPath), 200);
    expect(await call(s, "GET", menuPath), 200);
    const rotated = expect(
      await call(s, "POST", `/api/tables/${table.id}/rotate-token`, { token: OWNER_TOKEN }),
      200,
    );
    assert.equal((await get(s, path)).status, 404, "the old page: the friendly 404");
    expect(await call(s, "GET", menuPath), 401, "invalid_table_token");
    assert.equal((await get(s, `/t/${rotated.token}`)).status, 200);
  });

  await t.step("a draining process refuses a kept read as it refuses any other", async () => {
    const path = "/api/menu?location=demo&lang=en";
    const headers = { "accept-language": "en" };
    expect(await call(s, "GET", path, { headers }), 200);
    const hits = answers.hits;
    expect(await call(s, "GET", path, { headers }), 200);
    assert.equal(answers.hits, hits + 1, "kept");
    s.services.readiness.drain();
    expect(await call(s, "GET", path, { headers }), 503, "shutting_down");
    assert.equal(answers.hits, hits + 1);
  });
});

servicesTest(
  "[kept answers] an address refused for guessing tokens is refused a kept table menu too",
  async (s) => {
    const table = (await tablesOf(s))[0];
    const path = `/api/menu?table=${encodeURIComponent(table.token)}`;
    expect(await call(s, "GET", path), 200);
    expect(await call(s, "GET", path), 200);
    const hits = s.services.answers.hits;
    for (let i = 0; i < 3; i++) {
      expect(await call(s, "GET", "/api/menu?table=guess"), 401, "invalid_table_token");
    }
    expect(await call(s, "GET", path), 429, "rate_limited");
    assert.equal(s.services.answers.hits, hits);
    // A read that carries no credential is never refused for it, kept or not.
    expect(await call(s, "GET", "/api/menu?location=demo"), 200);
    expect(await call(s, "GET", "/api/menu?location=demo"), 200);
    assert.equal(s.services.answers.hits, hits + 1);
  },
  { SEATSERVE_RATE_LIMIT: "on", SEATSERVE_RATE_FAILED_AUTH: "3" },
);

Deno.test("[kept answers] off by setting, and with request logs or catalog revalidation", async () => {
  for (
    const overrides of [
      { SEATSERVE_KEPT_ANSWERS: "off" } as Record<string, string>,
      { SEATSERVE_LOG: "json" },
      { SEATSERVE_CATALOG_REVALIDATE: "on" },
    ]
  ) {
    await withServices(async (s) => {
      assert.equal(s.services.answers.enabled, false, JSON.stringify(overrides));
      for (let i = 0; i < 3; i++) expect(await call(s, "GET", "/api/menu?location=demo"), 200);
      assert.equal(s.services.answers.hits, 0);
      assert.equal(s.services.answers.size, 0);
    }, overrides);
  }
});
