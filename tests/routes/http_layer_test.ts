/**
 * What malformed HTTP gets, over a real socket to `Deno.serve` (issue 8: every 4xx in the
 * contract's error body): what reaches the app is answered in the contract's shape (a bad `Host`
 * is a 400, not the 500 it was); what Deno's HTTP layer refuses before the app runs gets Deno's
 * own empty 400 (README, "which defence where"), pinned here so that the README stays true.
 */
import assert from "node:assert/strict";
import { isValidHost } from "../../routes/middleware/request_target.ts";
import { assertErrorBody, newTestServices, OWNER_TOKEN, type Reply } from "../fixtures.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A raw answer: its status line, headers, body, or null when the connection closed unanswered. */
interface RawReply extends Reply {
  statusLine: string;
}

/** Sends `request` as bytes on a fresh connection and reads the answer (one, then closes). */
async function sendRaw(port: number, request: Uint8Array | string): Promise<RawReply | null> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(typeof request === "string" ? encoder.encode(request) : request).catch(
      () => {}, // the server may close before it has read everything
    );
    let bytes = new Uint8Array(0);
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      const more = new Uint8Array(bytes.length + n);
      more.set(bytes);
      more.set(buffer.subarray(0, n), bytes.length);
      bytes = more;
      const text = decoder.decode(bytes);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) continue;
      const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end));
      if (length && bytes.length >= end + 4 + Number(length[1])) break;
    }
    if (!bytes.length) return null;
    const text = decoder.decode(bytes);
    const [head, body = ""] = text.split("\r\n\r\n", 2);
    const [statusLine, ...lines] = head.split("\r\n");
    const headers = new Headers(
      lines.map((line): [string, string] => [
        line.slice(0, line.indexOf(":")),
        line.slice(line.indexOf(":") + 1).trim(),
      ]),
    );
    let parsed = null;
    try {
      parsed = body ? JSON.parse(body) : null;
    } catch {
      // not JSON: the assertions say so
    }
    return {
      statusLine,
      status: Number(statusLine.split(" ")[1]),
      headers,
      text: body,
      body: parsed,
    };
  } finally {
    conn.close();
  }
}

function get(path: string, headers: string[] = ["Host: localhost"]): string {
  return `GET ${path} HTTP/1.1\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`;
}

Deno.test("[http] malformed requests: the app's answers in the contract's shape, Deno's own empty 400s", async (t) => {
  const test = await newTestServices();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, test.app.fetch);
  const port = server.addr.port;
  try {
    await t.step("a Host that is no host: 400 bad_request (was a 500)", async () => {
      for (const host of ["a b", "[::1", "%ff", "localhost:99999", "a/b", "a?b", "a@b", "a#b"]) {
        const reply = await sendRaw(port, get("/api/health", [`Host: ${host}`]));
        assert.ok(reply, `no answer to Host: ${host}`);
        assert.equal(reply.status, 400, `Host: ${host} → ${reply.statusLine} ${reply.text}`);
        assertErrorBody(reply, "bad_request");
        assert.ok(reply.headers.get("x-request-id"), "the 400 carries its request id");
        assert.equal(reply.headers.get("x-content-type-options"), "nosniff");
      }
      // Orders too: refused before the body is read.
      const order = await sendRaw(
        port,
        "POST /api/orders HTTP/1.1\r\nHost: a b\r\nContent-Type: application/json\r\n" +
          "Content-Length: 2\r\n\r\n{}",
      );
      assert.equal(order?.status, 400);
      assertErrorBody(order!, "bad_request");
    });

    await t.step("hosts as clients send them are served", async () => {
      for (const host of ["localhost", `127.0.0.1:${port}`, `[::1]:${port}`, "menu.example.com"]) {
        const reply = await sendRaw(port, get("/api/health", [`Host: ${host}`]));
        assert.equal(reply?.status, 200, `Host: ${host} → ${reply?.statusLine} ${reply?.text}`);
        assert.equal(reply?.body.status, "ok");
      }
      // HTTP/1.0 without a Host at all.
      const old = await sendRaw(port, "GET /api/health HTTP/1.0\r\n\r\n");
      assert.equal(old?.status, 200);
    });

    await t.step(
      "percent-encoded bad UTF-8 reaches the app: answered in the contract's shape",
      async () => {
        const cases: [string, string[], number][] = [
          ["/api/orders/%ff%fe", [`Authorization: Bearer ${OWNER_TOKEN}`], 404],
          ["/api/menu?location=%ff", [], 404],
          ["/api/menu/%ff", [], 404],
          ["/api/orders/%zz/events?token=%ff", [], 401],
        ];
        for (const [path, headers, status] of cases) {
          const reply = await sendRaw(port, get(path, ["Host: localhost", ...headers]));
          assert.equal(reply?.status, status, `${path} → ${reply?.statusLine} ${reply?.text}`);
          assertErrorBody(reply!);
        }
      },
    );

    await t.step("refused by Deno's HTTP layer before the app: 400, empty body", async () => {
      const params = Array.from({ length: 10_000 }, (_, i) => `p${i}=1`).join("&");
      const refused: [string, Uint8Array | string][] = [
        [
          "200 KB of headers",
          get("/api/health", ["Host: localhost", `X-Big: ${"a".repeat(200_000)}`]),
        ],
        [
          "200 header lines",
          get("/api/health", [
            "Host: localhost",
            ...Array.from({ length: 200 }, (_, i) => `X-H${i}: v`),
          ]),
        ],
        ["10,000 query parameters", get(`/api/menu?location=demo&${params}`)],
        [
          "Content-Length: abc",
          "POST /api/orders HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n{}",
        ],
        [
          "two Content-Lengths",
          "POST /api/orders HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        ],
        [
          "a raw 0xFF byte in the path",
          new Uint8Array([
            ...encoder.encode("GET /api/"),
            0xff,
            ...encoder.encode(" HTTP/1.1\r\nHost: localhost\r\n\r\n"),
          ]),
        ],
        [
          "a control character in a header",
          get("/api/health", ["Host: localhost", "X-Bad: a\u0001b"]),
        ],
      ];
      for (const [what, request] of refused) {
        const reply = await sendRaw(port, request);
        assert.ok(reply, `${what}: no answer`);
        assert.equal(reply.statusLine, "HTTP/1.1 400 Bad Request", what);
        assert.equal(reply.headers.get("content-length"), "0", what);
        assert.equal(reply.text, "", what);
      }
    });

    await t.step("a bad chunked body: Deno closes the connection without an answer", async () => {
      const reply = await sendRaw(
        port,
        "POST /api/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
          "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
      );
      assert.equal(reply, null);
    });

    await t.step("the server still serves", async () => {
      const reply = await sendRaw(port, get("/api/health"));
      assert.equal(reply?.status, 200);
    });
  } finally {
    await server.shutdown();
    test.close();
  }
});

Deno.test("[http] isValidHost()", () => {
  for (
    const host of [
      "localhost",
      "localhost:8000",
      "a.b-c_d.example",
      "[::1]",
      "[2001:db8::1]:443",
      "10.0.0.1:80",
    ]
  ) {
    assert.equal(isValidHost(host), true, host);
  }
  for (
    const host of [
      "",
      "a b",
      "a:",
      "a:65536",
      "a/b",
      "a?b",
      "[::1",
      "[zz]",
      "%ff",
      "a:8000:1",
      "99999999999",
    ]
  ) {
    assert.equal(isValidHost(host), false, host);
  }
});
