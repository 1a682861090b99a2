/**
 * The shipped nginx configuration in front of the real server: slow and oversized clients are
 * cut off or answered in the API's error body, the app sees the guest's address (not a header
 * the guest set), and event streams pass through unbuffered.
 */
import assert from "node:assert/strict";
import { assertErrorBody, freePort, OWNER_TOKEN, type Reply, startMain } from "../fixtures.ts";
import { startNginx } from "./nginx_fixture.ts";

async function reply(response: Response): Promise<Reply> {
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, text, body };
}

Deno.test("[deploy] nginx: slow headers cut off, oversized requests in the error body, the real address", async (t) => {
  const main = await startMain({
    SEATSERVE_KV_PATH: ":memory:",
    SEATSERVE_BOOTSTRAP_TOKEN: OWNER_TOKEN,
    SEATSERVE_TRUST_PROXY: "x-real-ip",
    SEATSERVE_LOG: "json",
  });
  const nginx = await startNginx(freePort(), main.port);
  try {
    await t.step("a client that sends half its headers is disconnected", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: nginx.port });
      await conn.write(new TextEncoder().encode("GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: "));
      const started = Date.now();
      // Meanwhile others are served.
      const health = await fetch(`${nginx.base}/api/health`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      const buffer = new Uint8Array(1024);
      let closed = false;
      const timer = setTimeout(() => conn.close(), 20_000);
      try {
        for (;;) {
          const n = await conn.read(buffer);
          if (n === null) {
            closed = true;
            break;
          }
        }
      } catch {
        closed = true; // reset by the peer
      } finally {
        clearTimeout(timer);
      }
      const ms = Date.now() - started;
      assert.ok(closed, "the connection was not closed");
      assert.ok(ms >= 5_000 && ms < 20_000, `closed after ${ms} ms (client_header_timeout 10s)`);
      try {
        conn.close();
      } catch {
        // closed already
      }
    });

    await t.step(
      "oversized headers and a 10,000-parameter query: 4xx in the error body",
      async () => {
        const big = await reply(
          await fetch(`${nginx.base}/api/health`, { headers: { "x-big": "a".repeat(40_000) } }),
        );
        assert.equal(big.status, 400, big.text);
        assertErrorBody(big, "bad_request");
        const query = Array.from({ length: 10_000 }, (_, i) => `p${i}=1`).join("&");
        const long = await rawRequest(nginx.port, `GET /api/menu?location=demo&${query} HTTP/1.1`);
        assert.ok(long.status === 414 || long.status === 400, `status ${long.status}`);
        assertErrorBody(long);
      },
    );

    await t.step("the app counts the socket's address, not one the client sent", async () => {
      const response = await fetch(`${nginx.base}/api/health?probe=address`, {
        headers: { "x-real-ip": "203.0.113.9", "x-forwarded-for": "203.0.113.9" },
      });
      const requestId = response.headers.get("x-request-id");
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const line = main.output().split("\n").find((l) => l.includes(`"${requestId}"`));
      assert.ok(line, `no log line for ${requestId}`);
      assert.equal(JSON.parse(line).address, "127.0.0.1");
    });

    await t.step("event streams pass through unbuffered", async () => {
      const controller = new AbortController();
      const response = await fetch(`${nginx.base}/api/kitchen/stream`, {
        headers: { authorization: `Bearer ${OWNER_TOKEN}` },
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("event: snapshot")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      assert.match(text, /event: snapshot\ndata: \{"orders":\[/);
      controller.abort();
      await reader.cancel().catch(() => {});
    });
  } finally {
    await nginx.stop();
    await main.stop().catch(() => {});
  }
});

/** One request over a raw connection (for what `fetch` refuses to send), answered whole. */
async function rawRequest(port: number, requestLine: string): Promise<Reply> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(`${requestLine}\r\nHost: x\r\nConnection: close\r\n\r\n`),
  );
  let raw = "";
  for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) raw += chunk;
  const [head, text = ""] = raw.split("\r\n\r\n");
  const [statusLine, ...lines] = head.split("\r\n");
  const headers = new Headers(
    lines.map((line): [string, string] => [
      line.slice(0, line.indexOf(":")),
      line.slice(line.indexOf(":") + 1).trim(),
    ]),
  );
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: Number(statusLine.split(" ")[1]), headers, text, body };
}
