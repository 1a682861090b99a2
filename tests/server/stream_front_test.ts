/**
 * The in-process stream front (`SEATSERVE_STREAM_FRONT=on`, lib/server/stream_front.ts), on the
 * real server: streams answered off raw sockets with the contract's framing, everything else
 * relayed to `Deno.serve` with the client's own address, caps released when a client hangs up,
 * malformed requests answered as without the front, slow first headers cut off, and the drain's
 * closing comment.
 */
import assert from "node:assert/strict";
import { streamHead } from "../../lib/server/stream_front.ts";
import {
  assertErrorBody,
  moveOrder,
  orderSequence,
  OWNER_TOKEN,
  serverClient,
  startMain,
} from "../fixtures.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A raw connection to `[::1]:port` that sent `request` and reads what comes. */
class RawConn {
  text = "";
  /** What came, as bytes (bodies that are not text, lengths in bytes). */
  bytes = new Uint8Array(0);
  closed = false;
  readonly #reading: Promise<void>;

  private constructor(readonly conn: Deno.TcpConn) {
    this.#reading = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      for (;;) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) break;
        this.text += decoder.decode(buffer.subarray(0, n), { stream: true });
        const more = new Uint8Array(this.bytes.length + n);
        more.set(this.bytes);
        more.set(buffer.subarray(0, n), this.bytes.length);
        this.bytes = more;
      }
      this.closed = true;
    })();
  }

  static async open(port: number, request: string): Promise<RawConn> {
    const conn = await Deno.connect({ hostname: "::1", port });
    await conn.write(encoder.encode(request));
    return new RawConn(conn);
  }

  async until(what: (text: string) => boolean, label: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!what(this.text)) {
      if (Date.now() > deadline) throw new Error(`${label}: not seen; got ${this.text}`);
      if (this.closed) throw new Error(`${label}: closed first; got ${this.text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // closed already
    }
    await this.#reading;
  }

  async ended(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`not closed; got ${this.text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await this.#reading;
  }
}

function get(path: string, headers: string[] = []): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${
    headers.map((h) => `${h}\r\n`).join("")
  }\r\n`;
}

/** The request log lines of `output` (SEATSERVE_LOG=json). */
function logLines(output: string): { path: string; status: number; address: string }[] {
  return output.split("\n").filter((line) => line.startsWith('{"at"')).map((line) =>
    JSON.parse(line)
  );
}

Deno.test("[front] streams off raw sockets, the rest relayed with the client's address; caps, malformed requests, drain", async (t) => {
  const main = await startMain({
    SEATSERVE_KV_PATH: ":memory:",
    SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN,
    SEATSERVE_STREAM_FRONT: "on",
    SEATSERVE_LOG: "json",
    SEATSERVE_STREAMS_PER_ADDRESS: "3",
    // Dual-stack, so that a client on ::1 is told apart from the relay's 127.0.0.1.
    HOSTNAME: "::",
  });
  const { port } = main;
  const api = { ...main, app: serverClient(`http://[::1]:${port}`) };
  const open: RawConn[] = [];
  try {
    // Half a head, then nothing: the front closes it (checked at the end, 15 s on).
    const slow = await RawConn.open(
      port,
      "GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
    );
    const slowSince = Date.now();
    const place = await orderSequence(api);
    const kitchenPath = `/api/kitchen/stream?access_token=${OWNER_TOKEN}`;

    await t.step("a kitchen stream: the contract's framing, chunked, from the front", async () => {
      const kitchen = await RawConn.open(port, get(kitchenPath));
      open.push(kitchen);
      await kitchen.until((text) => text.includes("event: snapshot"), "snapshot");
      const [head] = kitchen.text.split("\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\ncontent-type: text\/event-stream; charset=utf-8\r\n/);
      assert.match(head, /\r\ntransfer-encoding: chunked\r\n/);
      assert.match(head, /\r\nx-request-id: [0-9A-Z]{26}\r\n/);
      assert.match(head, /\r\nx-content-type-options: nosniff\r\n/);
      // An order placed through the relay reaches the stream.
      const order = await place();
      await kitchen.until((text) => text.includes(`"id":"${order.id}"`), "the order's event");
      assert.match(kitchen.text, /\r\nid: [0-9a-f]+-\d+\nevent: order\ndata: \{/);
    });

    await t.step("the app sees the client's address, streamed or relayed", () => {
      const lines = logLines(main.output());
      const stream = lines.find((line) => line.path === "/api/kitchen/stream");
      const order = lines.find((line) => line.path === "/api/orders" && line.status === 201);
      assert.equal(stream?.address, "::1");
      assert.equal(order?.address, "::1", "a relayed request was logged with the relay's address");
    });

    await t.step("the cap per address, and a slot given back when a client hangs up", async () => {
      for (let i = 0; i < 2; i++) {
        const stream = await RawConn.open(port, get(kitchenPath));
        open.push(stream);
        await stream.until((text) => text.includes("event: snapshot"), "snapshot");
      }
      const refused = await RawConn.open(port, get(kitchenPath));
      await refused.ended();
      const [head, body] = refused.text.split("\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
      assert.match(head, /\r\nretry-after: \d+\r\n/);
      assertErrorBody({
        status: 429,
        headers: new Headers({ "content-type": "application/json" }),
        text: body,
        body: JSON.parse(body),
      }, "too_many_streams");
      await open.pop()!.close();
      // The front noticed the hang-up and the stream's slot is free again.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const again = await RawConn.open(port, get(kitchenPath));
        await again.until((text) => text.includes("\r\n\r\n"), "an answer");
        if (again.text.startsWith("HTTP/1.1 200")) {
          open.push(again);
          break;
        }
        await again.close();
        assert.ok(Date.now() < deadline, "the slot was not given back");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });

    await t.step("a guest's stream ends with its order, and the connection with it", async () => {
      // One of the three slots for the guest's stream.
      await open.pop()!.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const order = await place();
      const path = `/api/orders/${order.id}/events?token=${encodeURIComponent(order.orderToken)}`;
      const guest = await RawConn.open(port, get(path));
      await guest.until((text) => text.includes("event: order"), "the order");
      await moveOrder(api, order.id, "cancelled");
      await guest.ended();
      assert.ok(guest.text.includes('"status":"cancelled"'), guest.text);
      assert.ok(guest.text.endsWith("\r\n0\r\n\r\n"), "no last chunk");
    });

    await t.step("malformed requests are answered as without the front", async () => {
      const badHost = await RawConn.open(
        port,
        `GET ${kitchenPath} HTTP/1.1\r\nHost: a b\r\n\r\n`,
      );
      await badHost.ended();
      assert.match(badHost.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.ok(badHost.text.includes('"code":"bad_request"'), badHost.text);
      // Too big for the front to read: relayed, and Deno's own 400 as without the front.
      const big = await RawConn.open(port, get("/api/health", [`X-Big: ${"a".repeat(200_000)}`]));
      await big.ended();
      assert.match(big.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(big.text, /\r\ncontent-length: 0\r\n/);
      // A kept-alive relayed connection carries several requests, a stream after them included.
      const kept = await RawConn.open(port, get("/api/health") + get(kitchenPath));
      await kept.until(
        (text) => text.split("HTTP/1.1 200 OK").length === 3 && text.includes("event: snapshot"),
        "the health and the stream",
      );
      await kept.close();
    });

    await t.step("a first head that does not come in 15 s: the connection is closed", async () => {
      await slow.ended(25_000);
      const ms = Date.now() - slowSince;
      assert.ok(ms >= 14_000 && ms < 25_000, `closed after ${ms} ms`);
      assert.equal(slow.text, "", "the slow client got an answer");
    });

    await t.step(
      "SIGTERM: a stream gets the closing comment, the process exits in time",
      async () => {
        const [kitchen] = open;
        const stopped = await main.stop();
        assert.equal(stopped.code, 0, main.output());
        await kitchen.ended();
        assert.ok(
          kitchen.text.includes(": server shutting down; reconnect with Last-Event-ID to resume"),
          kitchen.text,
        );
        assert.ok(kitchen.text.endsWith("\r\n0\r\n\r\n"), "no last chunk");
      },
    );
  } finally {
    for (const conn of open) await conn.close();
    await main.stop().catch(() => {});
  }
});

Deno.test("[front] streamHead(): only plain GETs of stream paths are the front's", () => {
  const head = (text: string) => {
    const bytes = encoder.encode(text);
    return streamHead(bytes, text.indexOf("\r\n\r\n"));
  };
  assert.deepEqual(head(get("/api/kitchen/stream?station=bar", ["Accept: text/event-stream"])), {
    method: "GET",
    target: "/api/kitchen/stream?station=bar",
    version: "1.1",
    headers: [["host", "localhost"], ["accept", "text/event-stream"]],
    rest: 0,
  });
  assert.ok(head(get("/api/orders/01ABC/events?token=x")));
  assert.ok(head(get("/api/menu/stream?location=demo")));
  for (
    const text of [
      get("/api/orders"),
      get("/api/kitchen/stream/x"),
      get("/api/orders/a/b/events"),
      "POST /api/kitchen/stream HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /api/kitchen/stream HTTP/2.0\r\nHost: x\r\n\r\n",
      "GET http://x/api/kitchen/stream HTTP/1.1\r\nHost: x\r\n\r\n",
      get("/api/kitchen/stream", ["Content-Length: 0"]),
      get("/api/kitchen/stream", ["Transfer-Encoding: chunked"]),
      get("/api/kitchen/stream", ["Upgrade: websocket"]),
      get("/api/kitchen/stream", ["Bad Header: x"]),
      get("/api/kitchen/stream", ["X: a\u0001b"]),
      "GET /api/kitchen/stream HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
    ]
  ) {
    assert.equal(head(text), null, JSON.stringify(text));
  }
  // Bytes after the head (a pipelined request): the whole connection goes to Deno.serve.
  const pipelined = get("/api/kitchen/stream") + get("/api/health");
  assert.ok(streamHead(encoder.encode(pipelined), pipelined.indexOf("\r\n\r\n"))!.rest > 0);
});

Deno.test("[front] kept answers from the front: one connection, many reads; relayed from the first other request", async (t) => {
  const main = await startMain({
    SEATSERVE_KV_PATH: ":memory:",
    SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN,
    SEATSERVE_STREAM_FRONT: "on",
    HOSTNAME: "::",
  });
  const { port } = main;
  const menu = get("/api/menu?location=demo&lang=de", ["Accept-Encoding: identity"]);
  /** The answers on a connection: each head and body (bodies read by their length in bytes). */
  const answersOf = (bytes: Uint8Array) => {
    const out: { head: string; body: string }[] = [];
    let rest = bytes;
    for (;;) {
      let end = -1;
      for (let i = 0; i + 3 < rest.length; i++) {
        if (rest[i] === 13 && rest[i + 1] === 10 && rest[i + 2] === 13 && rest[i + 3] === 10) {
          end = i;
          break;
        }
      }
      if (end < 0) return out;
      const head = decoder.decode(rest.subarray(0, end));
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (rest.length < end + 4 + length) return out;
      out.push({ head, body: decoder.decode(rest.subarray(end + 4, end + 4 + length)) });
      rest = rest.subarray(end + 4 + length);
    }
  };
  /**
   * Who wrote an answer's head: `Deno.serve` ends it with `content-length` then `date`; the
   * front ends it with its own `x-request-id`, `date`, `content-length` (and `connection: close`),
   * in that order. Each is asked positively, so that neither passes for the other.
   */
  const byDeno = (head: string) => /\r\ncontent-length: \d+\r\ndate: [^\r]+$/i.test(head);
  const byFront = (head: string) =>
    /\r\nx-request-id: [^\r]+\r\ndate: [^\r]+\r\ncontent-length: \d+(\r\nconnection: close)?$/
      .test(head);
  try {
    await t.step("read once by the application, then from the front, the same bytes", async () => {
      // The first read: nothing kept yet, so relayed, and answered by the application.
      const filling = await RawConn.open(port, menu);
      await filling.until(() => answersOf(filling.bytes).length === 1, "the first answer");
      const [applications] = answersOf(filling.bytes);
      assert.ok(byDeno(applications.head) && !byFront(applications.head), applications.head);
      await filling.close();
      // Three reads pipelined on a new connection: all the front's.
      const conn = await RawConn.open(port, menu + menu + menu);
      await conn.until(() => answersOf(conn.bytes).length === 3, "three answers");
      const answers = [applications, ...answersOf(conn.bytes)];
      for (const answer of answers.slice(1)) assert.ok(byFront(answer.head), answer.head);
      const heads = answers.map((a) => a.head);
      for (const head of heads) {
        assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(head, /\r\ncontent-language: de\r\n/);
        assert.match(head, /\r\nx-content-type-options: nosniff\r\n/);
        assert.match(head, /\r\nx-request-id: [0-9A-Z]{26}\r\n/);
      }
      const shared = (head: string) =>
        head.split("\r\n").slice(1).filter((l) => !/^(x-request-id|date|content-length):/i.test(l))
          .map((l) => l.toLowerCase()).sort();
      for (const answer of answers.slice(1)) {
        assert.deepEqual(shared(answer.head), shared(heads[0]), "the application's headers");
        assert.equal(answer.body, answers[0].body);
      }
      assert.equal(new Set(heads.map((h) => /x-request-id: (\S+)/.exec(h)![1])).size, 4);
      assert.equal(conn.closed, false, "kept alive");
      // Then an order on the same connection: relayed from here on, and answered.
      await conn.close();
    });

    await t.step("after a read the front answers, a request it does not is relayed", async () => {
      const conn = await RawConn.open(port, menu);
      await conn.until(() => answersOf(conn.bytes).length === 1, "the menu");
      await conn.conn.write(encoder.encode(get("/api/health/live")));
      await conn.until(() => answersOf(conn.bytes).length === 2, "the health, relayed");
      const [mine, health] = answersOf(conn.bytes);
      assert.ok(byFront(mine.head), "the menu from the front");
      assert.ok(byDeno(health.head), "the health from behind");
      assert.match(health.head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(health.body, /"status"/);
      // Relayed now: even a read the front could answer goes behind, and is answered.
      await conn.conn.write(encoder.encode(menu));
      await conn.until(() => answersOf(conn.bytes).length === 3, "the menu again");
      const again = answersOf(conn.bytes)[2];
      assert.ok(byDeno(again.head), "relayed: from behind");
      assert.equal(again.body, mine.body);
      await conn.close();
    });

    await t.step("Connection: close, and personal requests go to the application", async () => {
      const closing = await RawConn.open(
        port,
        get("/api/menu?location=demo&lang=de", ["Accept-Encoding: identity", "Connection: close"]),
      );
      await closing.ended();
      assert.match(closing.text, /\r\nconnection: close\r\n/i);
      assert.ok(byFront(answersOf(closing.bytes)[0].head), "from the front, which then closed");
      const etag = /\r\netag: (\S+)\r\n/.exec(closing.text)![1];
      const conditional = await RawConn.open(
        port,
        get("/api/menu?location=demo&lang=de", [
          "Accept-Encoding: identity",
          `If-None-Match: ${etag}`,
        ]),
      );
      await conditional.until((text) => /^HTTP\/1\.1 304 /.test(text), "304 from the app");
      await conditional.close();
    });

    await t.step("a change is seen at once; the connection goes on", async () => {
      const item = (await (await fetch(`http://[::1]:${port}/api/menu?location=demo`)).json())
        .items[0];
      const conn = await RawConn.open(port, menu);
      await conn.until(() => answersOf(conn.bytes).length === 1, "the menu");
      const patched = await fetch(`http://[::1]:${port}/api/menu/items/${item.id}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${OWNER_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ available: false }),
      });
      assert.equal(patched.status, 200);
      await patched.body?.cancel();
      await conn.conn.write(encoder.encode(menu));
      await conn.until(() => answersOf(conn.bytes).length === 2, "the menu after the 86");
      const after = JSON.parse(answersOf(conn.bytes)[1].body);
      assert.equal(after.items.find((i: { id: string }) => i.id === item.id).available, false);
      await conn.close();
    });

    await t.step(
      "SIGTERM with an idle kept-alive connection: the process exits at once",
      async () => {
        const conn = await RawConn.open(port, menu);
        await conn.until(() => answersOf(conn.bytes).length === 1, "the menu");
        const started = Date.now();
        const stopped = await main.stop();
        assert.equal(stopped.code, 0, main.output());
        assert.ok(Date.now() - started < 3_000, `stopped after ${Date.now() - started} ms`);
        await conn.ended();
      },
    );
  } finally {
    await main.stop().catch(() => {});
  }
});
