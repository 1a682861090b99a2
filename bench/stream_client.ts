/**
 * A worker of `bench/stream.ts`: holds kitchen streams open and measures, for every `order`
 * event on every stream, the time from the order's `createdAt` to the moment its bytes were read.
 * It checks each stream's ids strictly increase (nothing twice, commit order) and counts events.
 */

interface Start {
  type: "start";
  url: string;
  streams: number;
  /** Stream 0 of this worker records each order's receipt time, for the 201-based figure. */
  recordFirst: boolean;
}
interface Expect {
  type: "expect";
  count: number;
  timeoutMs: number;
}

/** Histogram buckets: 0.1 ms wide, up to 60 s. */
const BUCKET_MS = 0.1;
const histogram = new Uint32Array(600_000);
let overflow = 0;
const streams: StreamState[] = [];
const firstReceipts = new Map<string, number>();

interface StreamState {
  count: number;
  last: string;
  disorder: number;
  snapshot: boolean;
  ended: boolean;
  controller: AbortController;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Start | Expect>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (e) => {
  const message = e.data;
  if (message.type === "start") {
    await Promise.all(
      Array.from(
        { length: message.streams },
        (_, i) => open(message.url, i === 0 && message.recordFirst),
      ),
    );
    while (!streams.every((s) => s.snapshot)) await new Promise((r) => setTimeout(r, 10));
    scope.postMessage({ type: "ready" });
  } else {
    const deadline = Date.now() + message.timeoutMs;
    while (streams.some((s) => s.count < message.count) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200)); // anything extra would show up now
    for (const s of streams) s.controller.abort();
    scope.postMessage({
      type: "done",
      counts: streams.map((s) => s.count),
      disorder: streams.reduce((n, s) => n + s.disorder, 0),
      ended: streams.filter((s) => s.ended).length,
      histogram,
      overflow,
      firstReceipts: [...firstReceipts],
    });
  }
};

function position(id: string): string {
  const dash = id.indexOf("-");
  return id.slice(0, dash) + id.slice(dash + 1).padStart(5, "0");
}

/**
 * Opens a stream over a raw TCP connection with an HTTP/1.0 request, so the body arrives as plain
 * SSE bytes (no chunked framing) and no HTTP client machinery sits between the socket and the
 * parser: with 500 streams the client, not the server, is otherwise what runs out of CPU.
 */
async function open(url: string, record: boolean): Promise<void> {
  const state: StreamState = {
    count: 0,
    last: "",
    disorder: 0,
    snapshot: false,
    ended: false,
    controller: new AbortController(),
  };
  streams.push(state);
  const target = new URL(url);
  const conn = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
  state.controller.signal.addEventListener("abort", () => {
    try {
      conn.close();
    } catch {
      // closed already
    }
  });
  await conn.write(
    new TextEncoder().encode(
      `GET ${target.pathname}${target.search} HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n`,
    ),
  );
  const chunk = new Uint8Array(256 * 1024);
  const decoder = new TextDecoder();
  (async () => {
    let buffer = "";
    let head = true;
    try {
      for (;;) {
        const n = await conn.read(chunk);
        if (n === null) break;
        const now = performance.timeOrigin + performance.now();
        const text = decoder.decode(chunk.subarray(0, n), { stream: true });
        buffer = buffer ? buffer + text : text;
        let pos = 0;
        if (head) {
          const end = buffer.indexOf("\r\n\r\n");
          if (end < 0) continue;
          if (!buffer.startsWith("HTTP/1.0 200") && !buffer.startsWith("HTTP/1.1 200")) {
            throw new Error(`stream: ${buffer.slice(0, 40)}`);
          }
          head = false;
          pos = end + 4;
        }
        for (;;) {
          const end = buffer.indexOf("\n\n", pos);
          if (end < 0) break;
          if (buffer.startsWith("id: ", pos)) {
            const nl = buffer.indexOf("\n", pos);
            const id = buffer.slice(pos + 4, nl);
            if (buffer.startsWith("event: order", nl + 1)) {
              const key = position(id);
              if (key <= state.last) state.disorder++;
              state.last = key;
              state.count++;
              const at = buffer.indexOf('"createdAt":"', nl);
              const createdAt = Date.parse(buffer.slice(at + 13, at + 37));
              const bucket = Math.floor((now - createdAt) / BUCKET_MS);
              if (bucket >= 0 && bucket < histogram.length) histogram[bucket]++;
              else overflow++;
              if (record) {
                const idAt = buffer.indexOf('"id":"', nl);
                firstReceipts.set(buffer.slice(idAt + 6, idAt + 32), now);
              }
            } else if (buffer.startsWith("event: snapshot", nl + 1)) {
              state.snapshot = true;
            }
          } else if (buffer.startsWith("event: snapshot", pos)) {
            state.snapshot = true;
          }
          pos = end + 2;
        }
        buffer = pos < buffer.length ? buffer.slice(pos) : "";
      }
    } catch (error) {
      if (!state.controller.signal.aborted) console.error(error);
    }
    state.ended = true;
  })();
}
