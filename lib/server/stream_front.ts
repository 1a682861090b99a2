/**
 * An in-process front for event streams (`SEATSERVE_STREAM_FRONT=on`, off by default). An idle
 * stream answered by `Deno.serve` costs ~60 KB in Deno itself (BENCHMARKS.md: most of it the
 * 1,024-slot buffer ring Deno allocates to carry any `ReadableStream` body to its HTTP layer);
 * written by hand to a raw socket the same stream costs a fraction of that.
 *
 * The front listens on the public port and reads the first request head of each connection.
 * A plain `GET` of an event-stream path that it can read without doubt is answered here: the
 * same handler (every middleware, auth, caps) with the socket's address, the answer written to
 * the socket (chunked) and the connection closed after it. Everything else, byte for byte, goes
 * to the `Deno.serve` behind it on a loopback port, which therefore sees every malformed
 * request exactly as it would without the front; its handler gets the client's address, not the
 * loopback's (looked up by the loopback connection's port).
 *
 * A plain `GET` whose answer is kept (a menu, a guest page: `answerHere`) is answered here too,
 * its bytes written to the socket, and the connection stays with the front for its next request;
 * from the first request that is neither, the connection is relayed.
 *
 * The cost: every other connection is relayed through this process (three descriptors instead
 * of one, two copies of every byte); BENCHMARKS.md has the figures.
 */

/** Paths answered by the front (a `GET` without a body). */
const STREAM_PATH = /^\/api\/(?:kitchen\/stream|orders\/[^/?#]{1,64}\/events|menu\/stream)$/;
/** The most a first request head may take before the front gives up on reading it itself. */
const MAX_HEAD = 16 * 1024;
/** A connection whose first request head has not arrived by then is closed. */
const HEAD_TIMEOUT_MS = 15_000;
/** A loopback connection's port, to the client address it relays. */
type Relayed = Map<number, Deno.NetAddr>;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const EMPTY = new Uint8Array(0);
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");
const INTERNAL_ERROR_BODY =
  '{"error":{"code":"internal_error","message":"Something went wrong on our side."}}';
const INTERNAL_ERROR = encoder.encode(
  "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n" +
    `content-length: ${INTERNAL_ERROR_BODY.length}\r\nconnection: close\r\n\r\n` +
    INTERNAL_ERROR_BODY,
);

/** How the front serves. */
export interface StreamFrontOptions {
  hostname: string;
  port: number;
  /** Called once, when listening, with the public port. */
  onListen?: (port: number) => void;
  log?: (message: string) => void;
  /** The pause before accepting again after accept failed (out of descriptors). */
  retryMs?: number;
  /**
   * Answers a plain HTTP/1.1 `GET` here when it can (kept answers, routes/kept_answers.ts): the
   * whole answer's bytes, and whether the connection closes after it; null relays the request.
   * The connection stays with the front while its requests are answered so, and is relayed from
   * the first one that is not.
   */
  answerHere?: (
    head: StreamHead,
    socket: Deno.NetAddr,
  ) => { bytes: Uint8Array; close: boolean } | null;
}

/** The front and the server behind it. */
export interface StreamFront {
  readonly port: Promise<number>;
  /**
   * Stops accepting, waits for the server behind to drain (`deadlineMs` at most) and the
   * front's own answers to end; true when everything ended in time.
   */
  drain(deadlineMs: number): Promise<boolean>;
  readonly finished: Promise<void>;
}

/** A parsed first request head the front answers itself, or null for the server behind. */
export interface StreamHead {
  method: string;
  target: string;
  version: "1.0" | "1.1";
  headers: [string, string][];
  /** The bytes after the head (a client that sent more than the head: relayed instead). */
  rest: number;
}

/**
 * The head in `bytes` (up to its blank line) when it is one the front answers: `GET` of an
 * event-stream path, HTTP/1.x, plain header lines, no body, no upgrade. Anything unusual is
 * left to `Deno.serve` (null), so that its parser and the app's checks decide as without the
 * front.
 */
export function streamHead(bytes: Uint8Array, end: number): StreamHead | null {
  const head = plainGetHead(bytes, end);
  return head && isStreamTarget(head.target) ? head : null;
}

function isStreamTarget(target: string): boolean {
  return STREAM_PATH.test(target.split("?", 1)[0]);
}

/**
 * The head in `bytes` (up to its blank line) when it is a plain `GET`: HTTP/1.x, plain header
 * lines, no body, no upgrade; else null.
 */
export function plainGetHead(bytes: Uint8Array, end: number): StreamHead | null {
  let text: string;
  try {
    text = decoder.decode(bytes.subarray(0, end));
  } catch {
    return null;
  }
  const lines = text.split("\r\n");
  const line = /^GET (\/[!-~]*) HTTP\/1\.([01])$/.exec(lines[0]);
  if (!line) return null;
  const target = line[1];
  const headers: [string, string][] = [];
  for (const header of lines.slice(1)) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\x20-\x7e\t]*?)[ \t]*$/.exec(header);
    if (!match) return null;
    const name = match[1].toLowerCase();
    if (name === "content-length" || name === "transfer-encoding" || name === "upgrade") {
      return null;
    }
    headers.push([name, match[2]]);
  }
  return {
    method: "GET",
    target,
    version: line[2] === "0" ? "1.0" : "1.1",
    headers,
    rest: bytes.length - end - 4,
  };
}

/** Serves `handler` behind the front; `serveBehind` starts the loopback server with a handler. */
export function serveStreamFront(
  handler: Deno.ServeHandler<Deno.NetAddr>,
  serveBehind: (handler: Deno.ServeHandler<Deno.NetAddr>) => {
    port: Promise<number>;
    drain(deadlineMs: number): Promise<boolean>;
  },
  options: StreamFrontOptions,
): StreamFront {
  const log = options.log ?? ((message: string) => console.error(message));
  const retryMs = options.retryMs ?? 250;
  const relayed: Relayed = new Map();
  const behind = serveBehind((request, info) => {
    const client = relayed.get(info.remoteAddr.port);
    return handler(request, client ? { ...info, remoteAddr: client } : info);
  });
  const answering = new Set<Promise<void>>();
  const conns = new Set<Deno.Conn>();
  /** Connections waiting for a next request's head (closed at once by a drain). */
  const idle = new Set<Deno.Conn>();
  const deadlines = new HeadDeadlines();
  const answerHere = options.answerHere;
  let draining = false;
  let resolvePort!: (port: number) => void;
  const port = new Promise<number>((resolve) => resolvePort = resolve);
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  let listener: Deno.TcpListener | null = null;

  const track = (work: Promise<void>) => {
    answering.add(work);
    work.finally(() => answering.delete(work));
  };

  const serveConnection = async (conn: Deno.TcpConn) => {
    conns.add(conn);
    // Answers are written in pieces (a head, then chunks; a relay's reads): without this, Nagle's
    // algorithm holds each next piece until the client's delayed ACK of the last (~40 ms).
    conn.setNoDelay(true);
    let relaying = false;
    try {
      let bytes: Uint8Array = EMPTY;
      for (;;) {
        idle.add(conn);
        const { end, timedOut, ...read } = await readHead(conn, deadlines, bytes)
          .finally(() => idle.delete(conn));
        bytes = read.bytes;
        // No head in time (slow headers, or a kept-alive connection left idle), or closed.
        if (timedOut || !bytes.length || draining) return;
        const head = end >= 0 ? plainGetHead(bytes, end) : null;
        if (head && isStreamTarget(head.target)) {
          if (head.rest > 0) break; // more than the head: the server behind decides
          // The read's buffer is not held while the stream lasts (a stream's memory is counted).
          bytes = read.bytes = EMPTY;
          await answer(conn, head, handler);
          return;
        }
        const here = head && head.version === "1.1" ? answerHere?.(head, conn.remoteAddr) : null;
        if (!here) break;
        await writeAll(conn, here.bytes);
        if (here.close) return;
        bytes = bytes.subarray(end + 4);
      }
      relaying = true;
      await relay(conn, bytes, await behind.port, relayed);
    } catch (error) {
      if (!relaying) log(`stream front: ${describe(error)}`);
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
  };

  const acceptLoop = async () => {
    while (!draining) {
      if (!listener) {
        try {
          listener = Deno.listen({ hostname: options.hostname, port: options.port });
          const actual = (listener.addr as Deno.NetAddr).port;
          options.port = actual;
          resolvePort(actual);
        } catch (error) {
          log(`stream front: cannot listen (${describe(error)}); retrying in ${retryMs} ms`);
          await sleep(retryMs);
          continue;
        }
      }
      try {
        const conn = await listener.accept();
        track(serveConnection(conn));
      } catch (error) {
        if (draining) break;
        // Out of descriptors: connections held keep being served; accept again after a pause.
        log(`stream front: accepting failed (${describe(error)}); again in ${retryMs} ms`);
        await sleep(retryMs);
      }
    }
  };

  port.then((p) => options.onListen?.(p));
  acceptLoop();

  return {
    port,
    finished,
    async drain(deadlineMs: number): Promise<boolean> {
      draining = true;
      try {
        listener?.close();
      } catch {
        // closed already
      }
      deadlines.stop();
      // Nothing is being answered on these: they need not wait for the deadline.
      for (const conn of idle) {
        try {
          conn.close();
        } catch {
          // closed already
        }
      }
      const started = Date.now();
      const behindInTime = await behind.drain(deadlineMs);
      // The streams end with their hub (closed by the caller before the drain); a connection
      // still relayed ended with the server behind.
      const left = Math.max(0, deadlineMs - (Date.now() - started));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const frontInTime = await Promise.race([
        Promise.allSettled([...answering]).then(() => true),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), left)),
      ]);
      clearTimeout(timer);
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // closed already
        }
      }
      resolveFinished();
      return behindInTime && frontInTime;
    },
  };
}

/**
 * Reads up to the end of the first head (`end`: the index of its blank line, -1 when none came:
 * too long, or closed) and returns every byte read; a head not there in 15 s closes the
 * connection (`timedOut`), as a proxy's header timeout would.
 */
async function readHead(
  conn: Deno.Conn,
  deadlines: HeadDeadlines,
  /** Bytes already read (a pipelined request after the last one answered). */
  start: Uint8Array = new Uint8Array(0),
): Promise<{ bytes: Uint8Array; end: number; timedOut: boolean }> {
  let bytes = start;
  const already = indexOfBlankLine(bytes, 0);
  if (already >= 0) return { bytes, end: already, timedOut: false };
  let timedOut = false;
  deadlines.add(conn, () => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // closed already
    }
  });
  try {
    while (bytes.length < MAX_HEAD) {
      // A buffer of its own each read: the bytes returned are a view of it, never copied again.
      const buffer = new Uint8Array(bytes.length ? 4096 : 2048);
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return { bytes, end: -1, timedOut };
      const from = Math.max(0, bytes.length - 3);
      if (bytes.length) {
        const more = new Uint8Array(bytes.length + n);
        more.set(bytes);
        more.set(buffer.subarray(0, n), bytes.length);
        bytes = more;
      } else bytes = buffer.subarray(0, n);
      const end = indexOfBlankLine(bytes, from);
      if (end >= 0) return { bytes, end, timedOut };
    }
    return { bytes, end: -1, timedOut };
  } finally {
    deadlines.delete(conn);
  }
}

/**
 * The connections waiting for a request head, each closed once its 15 s are up: one timer for
 * all of them, looking once a second (a timer per request cost the front more than its parsing).
 */
class HeadDeadlines {
  #due = new Map<Deno.Conn, { at: number; expire: () => void }>();
  #timer: ReturnType<typeof setInterval>;

  constructor() {
    this.#timer = setInterval(() => this.#sweep(), 1000);
  }

  add(conn: Deno.Conn, expire: () => void): void {
    this.#due.set(conn, { at: Date.now() + HEAD_TIMEOUT_MS, expire });
  }

  delete(conn: Deno.Conn): void {
    this.#due.delete(conn);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Expires what is due; entries are in the order they were added, so in deadline order. */
  #sweep(): void {
    const now = Date.now();
    for (const [conn, due] of this.#due) {
      if (due.at > now) break;
      this.#due.delete(conn);
      due.expire();
    }
  }
}

function indexOfBlankLine(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/** Answers a stream request on `conn` with `handler`, then the connection closes. */
async function answer(
  conn: Deno.TcpConn,
  head: StreamHead,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Promise<void> {
  const aborted = new AbortController();
  let completed!: () => void;
  const done = new Promise<void>((resolve) => completed = resolve);
  // The client hangs up (or sends anything more): the answer's body is cancelled. The read
  // ends at the latest when the connection is closed after the answer.
  conn.read(new Uint8Array(1)).catch(() => null).then(() => aborted.abort());
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    // Started in a function of its own, so that while the stream lasts only its body is held,
    // not the request, the head's lines or the answer's headers.
    const stream = await start(conn, head, handler, { signal: aborted.signal, completed: done });
    if (!stream) return;
    reader = stream.body.getReader();
    const cancel = () => reader?.cancel().catch(() => {});
    if (aborted.signal.aborted) cancel();
    aborted.signal.addEventListener("abort", cancel);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!value.length) continue;
      await writeAll(conn, stream.chunked ? chunk(value) : value);
    }
    if (stream.chunked) await writeAll(conn, LAST_CHUNK);
  } catch {
    await reader?.cancel().catch(() => {});
  } finally {
    aborted.abort();
    completed();
  }
}

/**
 * Runs the handler and writes the answer's head: an event stream's body is left to the caller
 * (returned), any other answer (a refusal, a 204) is written whole, with its length (null).
 */
async function start(
  conn: Deno.TcpConn,
  head: StreamHead,
  handler: Deno.ServeHandler<Deno.NetAddr>,
  options: { signal: AbortSignal; completed: Promise<void> },
): Promise<{ body: ReadableStream<Uint8Array>; chunked: boolean } | null> {
  const host = head.headers.find(([name]) => name === "host")?.[1] ?? "localhost";
  const init = { headers: head.headers, signal: options.signal };
  let request: Request;
  try {
    request = new Request(`http://${host}${head.target}`, init);
  } catch {
    // A Host the URL cannot hold: the app's own check answers it (400 in the error shape).
    request = new Request(`http://localhost${head.target}`, init);
  }
  let response: Response;
  try {
    response = await handler(request, {
      remoteAddr: conn.remoteAddr,
      completed: options.completed,
    });
  } catch (error) {
    console.error("[error] stream front", error);
    await writeAll(conn, INTERNAL_ERROR);
    return null;
  }
  if (!response.body || !response.headers.get("content-type")?.startsWith("text/event-stream")) {
    const body = response.body ? new Uint8Array(await response.arrayBuffer()) : null;
    await writeAll(conn, responseHead(response, head.version, { length: body?.length ?? 0 }));
    if (body?.length) await writeAll(conn, body);
    return null;
  }
  const chunked = head.version === "1.1";
  await writeAll(conn, responseHead(response, head.version, { chunked }));
  return { body: response.body, chunked };
}

/** One chunk of a chunked body, in one write. */
function chunk(value: Uint8Array): Uint8Array {
  const size = encoder.encode(value.length.toString(16));
  const out = new Uint8Array(size.length + value.length + 4);
  out.set(size);
  out.set(CRLF, size.length);
  out.set(value, size.length + 2);
  out.set(CRLF, size.length + 2 + value.length);
  return out;
}

/** Headers the front writes itself (cookies one a line). */
const SET_BY_FRONT = new Set([
  "set-cookie",
  "connection",
  "transfer-encoding",
  "content-length",
  "date",
]);

const REASONS: Record<number, string> = {
  200: "OK",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** The status line and headers; a body either `chunked` or of `length` bytes. */
function responseHead(
  response: Response,
  version: string,
  body: { chunked: boolean } | { length: number },
): Uint8Array {
  const lines = [`HTTP/${version} ${response.status} ${REASONS[response.status] ?? "Unknown"}`];
  for (const [name, value] of response.headers) {
    if (SET_BY_FRONT.has(name)) continue;
    lines.push(`${name}: ${value}`);
  }
  for (const cookie of response.headers.getSetCookie()) lines.push(`set-cookie: ${cookie}`);
  if ("chunked" in body) {
    if (body.chunked) lines.push("transfer-encoding: chunked");
  } else if (response.status !== 204 && response.status !== 304) {
    lines.push(`content-length: ${body.length}`);
  }
  lines.push(`date: ${new Date().toUTCString()}`, "connection: close", "", "");
  return encoder.encode(lines.join("\r\n"));
}

/** Copies `first` and then the connection both ways through the server behind, until closed. */
async function relay(
  conn: Deno.TcpConn,
  first: Uint8Array,
  port: number,
  relayed: Relayed,
): Promise<void> {
  const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
  upstream.setNoDelay(true);
  const key = (upstream.localAddr as Deno.NetAddr).port;
  relayed.set(key, conn.remoteAddr);
  try {
    await writeAll(upstream, first);
    const fromClient = pump(conn, upstream);
    // Once the server behind is done with the connection (it closed it: an answer with
    // `Connection: close`, a drain, a malformed request), nothing more can be answered on it.
    await pump(upstream, conn);
    try {
      conn.close();
    } catch {
      // closed already
    }
    await fromClient;
  } finally {
    relayed.delete(key);
    try {
      upstream.close();
    } catch {
      // closed already
    }
  }
}

/** A relay's own read buffer: what an idle kept-alive connection waits on (two of them). */
const SMALL_READ = 4 * 1024;
/** The buffer of the read after a small one came back full (a menu, a bundle), from a pool. */
const LARGE_READ = 64 * 1024;
/** Large buffers not in use, shared by every relay (allocating one per answer cost more CPU). */
const largeBuffers: Uint8Array<ArrayBuffer>[] = [];

/**
 * Copies `from` to `to` until `from` ends, then ends `to`'s writing side. Reads go to a 4 KB
 * buffer of its own; when one fills it, the next ones take a 64 KB buffer from the pool, given
 * back after a read that does not fill it. Every write is awaited before its buffer is read into
 * again.
 */
async function pump(from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> {
  const small = new Uint8Array(SMALL_READ);
  let buffer = small;
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) break;
      await writeAll(to, buffer.subarray(0, n));
      if (buffer === small) {
        if (n === SMALL_READ) buffer = largeBuffers.pop() ?? new Uint8Array(LARGE_READ);
      } else if (n < LARGE_READ) {
        if (largeBuffers.length < 64) largeBuffers.push(buffer);
        buffer = small;
      }
    }
  } catch {
    // either side closed
  }
  if (buffer !== small && largeBuffers.length < 64) largeBuffers.push(buffer);
  try {
    await to.closeWrite();
  } catch {
    // closed already
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
