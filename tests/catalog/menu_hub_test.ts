/**
 * Menu streams and their hub (lib/catalog/menu_hub.ts, `GET /api/menu/stream`) on a real server:
 * 500 subscribers in one process all receive an 86 exactly once while the store is watched once;
 * each stream's menu is in its own language and filter, and a change that leaves it as it was
 * sends it nothing; another process's edit arrives through the watch; table streams end when
 * their token is rotated; keep-alives; shutdown.
 */
import assert from "node:assert/strict";
import { createServices } from "../../lib/services.ts";
import { createApp } from "../../routes/app.ts";
import {
  OWNER_TOKEN,
  RawSse,
  startStreamServer,
  type StreamServer,
} from "../routes/stream_fixture.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Counts `kv.watch` calls on the server's store (every call still goes to the store). */
function countWatches(server: StreamServer): { count: number } {
  const kv = server.services.kv;
  const watch = kv.watch.bind(kv);
  const counter = { count: 0 };
  kv.watch = ((...args: Parameters<Deno.Kv["watch"]>) => {
    counter.count++;
    return watch(...args);
  }) as Deno.Kv["watch"];
  return counter;
}

function menus(sse: RawSse): Json[] {
  return sse.events.filter((e) => e.event === "menu").map((e) => JSON.parse(e.data));
}

async function patch(server: StreamServer, path: string, body: unknown): Promise<Json> {
  const response = await fetch(`${server.base}${path}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", authorization: `Bearer ${OWNER_TOKEN}` },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  assert.equal(response.status, 200, JSON.stringify(json));
  return json;
}

async function openAll(urls: string[], batch = 50): Promise<RawSse[]> {
  const opened: RawSse[] = [];
  for (let i = 0; i < urls.length; i += batch) {
    opened.push(...await Promise.all(urls.slice(i, i + batch).map((url) => RawSse.open(url))));
  }
  return opened;
}

async function eventually(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    assert.ok(Date.now() < deadline, "timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

Deno.test("[menu_hub] 500 subscribers in one process receive an 86 exactly once; one watch", async () => {
  const server = await startStreamServer();
  const watches = countWatches(server);
  const streams: RawSse[] = [];
  try {
    const target = server.items.find((i) => i.name === "Margherita pizza")!;
    const topping = target.optionGroups[1].options[0];
    const base = `${server.base}/api/menu/stream`;
    // Varied streams: by slug and by table token, in both languages, some filtered (each filter
    // keeps the pizza: it has gluten and milk, not nuts or fish).
    const urls = Array.from({ length: 500 }, (_, i) => {
      const by = i % 2
        ? `table=${encodeURIComponent(server.tableTokens[i % server.tableTokens.length])}`
        : "location=demo";
      const lang = ["", "&lang=de", "&lang=en"][i % 3];
      const filter = ["", "", "&exclude=nuts", "&exclude=fish,peanuts", "&diet=vegetarian"][i % 5];
      return `${base}?${by}${lang}${filter}`;
    });
    streams.push(...await openAll(urls));
    for (const sse of streams) assert.equal(sse.status, 200);
    await eventually(() => streams.every((s) => menus(s).length === 1));
    for (const [i, sse] of streams.entries()) {
      const [menu] = menus(sse);
      assert.equal(menu.lang, i % 3 === 1 ? "de" : "en");
      assert.equal(menu.items.find((x: Json) => x.id === target.id).available, true);
    }

    await patch(server, `/api/menu/items/${target.id}`, { available: false });
    await eventually(() => streams.every((s) => menus(s).length >= 2));
    await settle();
    for (const sse of streams) {
      const received = menus(sse);
      assert.equal(received.length, 2, "the 86 arrived exactly once");
      assert.equal(received[1].items.find((x: Json) => x.id === target.id).available, false);
      assert.notEqual(sse.events[0].id, sse.events[1].id, "a new menu, a new ETag as its id");
    }

    await patch(server, `/api/menu/items/${target.id}/options/${topping.id}`, { available: false });
    await eventually(() => streams.every((s) => menus(s).length >= 3));
    await settle();
    for (const sse of streams) {
      const received = menus(sse);
      assert.equal(received.length, 3, "the option's 86 arrived exactly once");
      const shown = received[2].items.find((x: Json) => x.id === target.id);
      assert.equal(shown.optionGroups[1].options[0].available, false);
    }

    // The catalog's own watch may have started before the count did: at most that one.
    assert.ok(
      watches.count <= 1,
      `one kv.watch for the location, whatever the streams: ${watches.count}`,
    );
    assert.equal(server.services.catalog.watchCount, 1);
    assert.deepEqual(server.services.menuHubs.stats(), { hubs: 1, subscribers: 500 });
  } finally {
    await Promise.all(streams.map((s) => s.close()));
    await server.close();
  }
});

Deno.test("[menu_hub] each stream's own menu; what leaves it unchanged sends nothing", async (t) => {
  const server = await startStreamServer();
  const opened: RawSse[] = [];
  try {
    const cappuccino = server.items.find((i) => i.name === "Cappuccino")!;
    const plain = await RawSse.open(`${server.base}/api/menu/stream?location=demo`);
    const noMilk = await RawSse.open(`${server.base}/api/menu/stream?location=demo&exclude=milk`);
    const german = await RawSse.open(`${server.base}/api/menu/stream?location=demo`, {
      "accept-language": "de-AT, en;q=0.5",
    });
    opened.push(plain, noMilk, german);
    await eventually(() => [plain, noMilk, german].every((s) => menus(s).length === 1));

    await t.step("the first event is the menu as GET /api/menu answers it", async () => {
      for (
        const [sse, query, headers] of [
          [plain, "location=demo", {}],
          [noMilk, "location=demo&exclude=milk", {}],
          [german, "location=demo", { "accept-language": "de-AT, en;q=0.5" }],
        ] as const
      ) {
        // The stream's event id is the menu's own ETag, that of its uncompressed form.
        const response = await fetch(`${server.base}/api/menu?${query}`, {
          headers: { ...headers, "accept-encoding": "identity" },
        });
        assert.equal(sse.events[0].data, await response.text());
        assert.equal(`"${sse.events[0].id}"`, response.headers.get("etag"));
      }
      assert.equal(menus(german)[0].lang, "de");
    });

    await t.step("an 86 outside a stream's filter sends that stream nothing", async () => {
      await patch(server, `/api/menu/items/${cappuccino.id}`, { available: false });
      await eventually(() => menus(plain).length === 2 && menus(german).length === 2);
      await settle();
      assert.equal(menus(noMilk).length, 1, "the filtered stream never showed the cappuccino");
      assert.equal(
        menus(german)[1].items.find((x: Json) => x.id === cappuccino.id).available,
        false,
      );
    });

    await t.step(
      "a table or token change that leaves the menu as it was sends nothing",
      async () => {
        const created = await fetch(`${server.base}/api/tables`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${OWNER_TOKEN}` },
          body: JSON.stringify({ number: 77, seats: 2 }),
        });
        assert.equal(created.status, 201);
        await created.body?.cancel();
        await server.services.menuHubs.sync();
        await settle();
        assert.deepEqual([plain, noMilk, german].map((s) => menus(s).length), [2, 1, 2]);
      },
    );
  } finally {
    await Promise.all(opened.map((s) => s.close()));
    await server.close();
  }
});

Deno.test("[menu_hub] another process's edit reaches this process's streams through the watch", async () => {
  const server = await startStreamServer();
  const other = await createServices(server.services.kv, server.services.config);
  try {
    const sse = await RawSse.open(`${server.base}/api/menu/stream?location=demo&lang=de`);
    await eventually(() => menus(sse).length === 1);
    const item = server.items[0];
    const response = await createApp(other).request(`/api/menu/items/${item.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${OWNER_TOKEN}` },
      body: JSON.stringify({ translations: { de: { name: "Anderswo umbenannt" } } }),
    });
    assert.equal(response.status, 200);
    await eventually(() => menus(sse).length === 2);
    assert.equal(menus(sse)[1].items[0].name, "Anderswo umbenannt");
    await sse.close();
  } finally {
    other.menuHubs.close();
    other.catalog.close();
    other.hubs.close();
    await server.close();
  }
});

Deno.test("[menu_hub] table streams, refusals, keep-alives and shutdown", async (t) => {
  const server = await startStreamServer({}, { SEATSERVE_STREAM_KEEPALIVE_SECONDS: "1" });
  try {
    await t.step("a table's stream ends with a comment once its token is rotated", async () => {
      const token = server.tableTokens[2];
      const sse = await RawSse.open(`${server.base}/api/menu/stream?table=${token}`);
      await eventually(() => menus(sse).length === 1);
      const tables = await (await fetch(`${server.base}/api/tables`, {
        headers: { authorization: `Bearer ${OWNER_TOKEN}` },
      })).json();
      const table = tables.tables.find((x: Json) => x.token === token);
      await patch(server, `/api/tables/${table.id}`, { rotateToken: true });
      await sse.finished();
      assert.ok(sse.comments.some((c) => c.includes("no longer valid")), sse.comments.join("|"));
      assert.equal(menus(sse).length, 1);
      const again = await RawSse.open(`${server.base}/api/menu/stream?table=${token}`);
      assert.equal(again.status, 401);
    });

    await t.step(
      "bad table token 401, unknown location 404, neither 400, bad filter 400",
      async () => {
        for (
          const [query, status] of [
            ["table=garbage", 401],
            ["location=nowhere", 404],
            ["", 400],
            ["location=demo&exclude=egg", 400],
          ] as const
        ) {
          const response = await fetch(`${server.base}/api/menu/stream?${query}`);
          assert.equal(response.status, status, query);
          const body = await response.json();
          assert.equal(typeof body.error.code, "string");
        }
      },
    );

    await t.step("keep-alive comments, and a comment at shutdown", async () => {
      const sse = await RawSse.open(`${server.base}/api/menu/stream?location=demo`);
      await sse.until(() => sse.comments.includes("keep-alive"), 3_000);
      server.services.menuHubs.close();
      await sse.finished();
      assert.ok(
        sse.comments.some((c) => c.startsWith("server shutting down")),
        sse.comments.join("|"),
      );
      const late = await fetch(`${server.base}/api/menu/stream?location=demo`);
      assert.equal(late.status, 503, "a stream asked for while shutting down");
      assert.equal((await late.json()).error.code, "unavailable");
    });
  } finally {
    await server.close();
  }
});
