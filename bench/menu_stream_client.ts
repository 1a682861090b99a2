/**
 * A worker of `bench/menu_stream.ts`: holds menu streams open on raw TCP sockets and records,
 * for every `menu` event of every stream, the moment its last byte was read and its id (the
 * menu's ETag). It scans bytes, never decoding a menu: a frame's lines end in `\n` and the menu's
 * JSON holds none, so a few `indexOf(10)` find each frame.
 */

interface Start {
  type: "start";
  urls: string[];
}
interface Collect {
  type: "collect";
  /** Wait until every stream has this many menu events (or the deadline). */
  events: number;
  timeoutMs: number;
  /** Streams (below `KEEP_LAST`) whose last frame's JSON is sent back, to check it. */
  sample: number[];
}

/** Streams (the first opened) that keep their last frame's JSON, for `Collect.sample`. */
const KEEP_LAST = 12;

interface StreamState {
  /** Receipt time (epoch ms) and id of each menu event, in order. */
  events: { at: number; id: string }[];
  /** The last menu's JSON, for the first `KEEP_LAST` streams. */
  last: Uint8Array | null;
  ended: boolean;
  conn: Deno.Conn | null;
}

const streams: StreamState[] = [];
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Start | Collect | { type: "close" }>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (e) => {
  const message = e.data;
  if (message.type === "start") {
    for (let i = 0; i < message.urls.length; i += 100) {
      await Promise.all(message.urls.slice(i, i + 100).map(open));
    }
    scope.postMessage({ type: "started" });
  } else if (message.type === "collect") {
    const deadline = Date.now() + message.timeoutMs;
    while (
      streams.some((s) => s.events.length < message.events && !s.ended) && Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 5));
    }
    scope.postMessage({
      type: "collected",
      events: streams.map((s) => s.events),
      ended: streams.filter((s) => s.ended).length,
      samples: message.sample.map((i) => new TextDecoder().decode(streams[i].last ?? undefined)),
    });
  } else {
    for (const s of streams) s.conn?.close();
    scope.postMessage({ type: "closed" });
  }
};

const ID = new TextEncoder().encode("id: ");
const MENU = new TextEncoder().encode("event: menu");

function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (at + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

async function open(url: string): Promise<void> {
  const state: StreamState = { events: [], last: null, ended: false, conn: null };
  const keepLast = streams.length < KEEP_LAST;
  streams.push(state);
  const target = new URL(url);
  const conn = state.conn = await Deno.connect({
    hostname: target.hostname,
    port: Number(target.port),
  });
  await conn.write(new TextEncoder().encode(
    `GET ${target.pathname}${target.search} HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n`,
  ));
  (async () => {
    const chunk = new Uint8Array(256 * 1024);
    let buffer = new Uint8Array(0);
    let head = true;
    try {
      for (;;) {
        const n = await conn.read(chunk);
        if (n === null) break;
        const now = performance.timeOrigin + performance.now();
        const joined = new Uint8Array(buffer.length + n);
        joined.set(buffer);
        joined.set(chunk.subarray(0, n), buffer.length);
        buffer = joined;
        let pos = 0;
        if (head) {
          const text = new TextDecoder().decode(buffer.subarray(0, Math.min(buffer.length, 4096)));
          const end = text.indexOf("\r\n\r\n");
          if (end < 0) continue;
          if (!/^HTTP\/1\.[01] 200/.test(text)) throw new Error(`stream: ${text.slice(0, 60)}`);
          head = false;
          pos = end + 4;
        }
        // Frames end with an empty line: "\n\n".
        for (;;) {
          let end = -1;
          for (let at = buffer.indexOf(10, pos); at >= 0; at = buffer.indexOf(10, at + 1)) {
            if (buffer[at + 1] === 10) {
              end = at;
              break;
            }
            if (at + 1 >= buffer.length) break;
          }
          if (end < 0) break;
          if (startsWith(buffer, pos, ID)) {
            const nl = buffer.indexOf(10, pos);
            if (startsWith(buffer, nl + 1, MENU)) {
              const id = new TextDecoder().decode(buffer.subarray(pos + 4, nl));
              state.events.push({ at: now, id });
              if (keepLast) {
                const data = buffer.indexOf(10, nl + 1) + 1 + "data: ".length;
                state.last = buffer.slice(data, end);
              }
            }
          }
          pos = end + 2;
        }
        buffer = buffer.slice(pos);
      }
    } catch (error) {
      console.error(error);
    }
    state.ended = true;
  })();
}
