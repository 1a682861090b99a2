/**
 * Answers kept whole for public reads that many clients make alike: a menu or a guest page is
 * the same bytes for every guest asking for it in the same language and coding, until the
 * catalog changes. The route that built such an answer says so (`keep`, with the test of its
 * freshness); the next identical request is answered from here, ahead of the application
 * (routes/kept_answers.ts), with only its request id its own.
 *
 * Identical means: the same URL (scheme, host, path and query), `Accept-Language` and
 * `Accept-Encoding` (and, behind a trusted proxy, `X-Forwarded-Proto`). A request with anything
 * else that could change its answer or its handling goes to the application: a body, a
 * credential header or cookie, `Origin` (CORS), conditional or range headers. Every catalog
 * change drops every kept answer; an answer built from a snapshot that is no longer the
 * catalog's is never served (its freshness test is asked on every use).
 */

/** Request headers under which an answer is not the same for everyone (the application decides). */
const PERSONAL_HEADERS = [
  "authorization",
  "cookie",
  "origin",
  "if-none-match",
  "if-modified-since",
  "if-match",
  "if-unmodified-since",
  "range",
] as const;

const PERSONAL: ReadonlySet<string> = new Set(PERSONAL_HEADERS);

/** A request whose answer may be kept: its key, and the `X-Request-Id` it sent. */
export interface KeyedRequest {
  key: string;
  requestId: string | null;
}

/** Answer headers that are the request's own (Deno writes `date`). */
const OWN_HEADERS = new Set(["x-request-id", "date"]);

/** A key longer than this (a very long `Accept-Language`, say) is not kept. */
const MAX_KEY_LENGTH = 2048;

/** How many answers, and how many bytes of them, are kept at most (oldest dropped first). */
export interface KeptAnswerLimits {
  maxAnswers: number;
  maxBytes: number;
}

const DEFAULT_LIMITS: KeptAnswerLimits = { maxAnswers: 4_000, maxBytes: 64 * 1024 * 1024 };

/** A kept answer: its body and headers as the application built them. */
interface Kept {
  body: Uint8Array<ArrayBuffer>;
  /** Every header but the request's own. */
  headers: Record<string, string>;
  /**
   * The answer as a `Response` that is never sent: each use sends a clone of it with its own
   * `X-Request-Id`. Cloning copies the checked header list; building a `Response` from the
   * record checks every header again and builds a native response for Deno.serve (together about
   * a quarter of the server's CPU per kept answer, BENCHMARKS.md).
   */
  template: Response;
  fresh: () => boolean;
  /** Its status line and those headers as HTTP/1.1 bytes, made when first asked for. */
  head?: Uint8Array;
}

const encoder = new TextEncoder();
let dateSecond = -1;
let dateText = "";

/** Now as an HTTP date (RFC 9110 §5.6.7), made once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/** What a route said of the answer it is building. */
interface Offer {
  body: Uint8Array<ArrayBuffer>;
  fresh: () => boolean;
}

/** The kept answers of a process. */
export class KeptAnswers {
  readonly enabled: boolean;
  readonly #limits: KeptAnswerLimits;
  readonly #forwardedProto: boolean;
  #kept = new Map<string, Kept>();
  #bytes = 0;
  #offers = new WeakMap<Request, Offer>();
  /** Requests answered from here, since the start (for tests and operators). */
  hits = 0;

  constructor(
    options: { enabled: boolean; trustProxy?: boolean; limits?: Partial<KeptAnswerLimits> },
  ) {
    this.enabled = options.enabled;
    this.#forwardedProto = options.trustProxy ?? false;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  /** How many answers are kept now. */
  get size(): number {
    return this.#kept.size;
  }

  /**
   * Called by a route about the 200 it answers `request` with: `body` is its body, exactly, and
   * the answer may be kept while `fresh()` holds (the catalog snapshot it came from is current).
   */
  keep(request: Request, body: Uint8Array<ArrayBuffer>, fresh: () => boolean): void {
    if (this.enabled) this.#offers.set(request, { body, fresh });
  }

  /**
   * The key `request` is kept under and the `X-Request-Id` it sent, or null when its answer may
   * be personal. Its headers are read in one pass: each `headers.get` on a `Deno.serve` request
   * is a call into Deno, and the dozen names asked about cost more than reading them all.
   */
  keyOf(request: Request): KeyedRequest | null {
    if (request.method !== "GET" || request.body !== null) return null;
    let language = "";
    let encoding = "";
    let proto = "";
    let requestId: string | null = null;
    for (const [name, value] of request.headers) {
      switch (name) {
        case "accept-language":
          language = value;
          break;
        case "accept-encoding":
          encoding = value;
          break;
        case "x-forwarded-proto":
          proto = value;
          break;
        case "x-request-id":
          requestId = value;
          break;
        default:
          if (PERSONAL.has(name)) return null;
      }
    }
    const key = this.#key(request.url, language, encoding, proto);
    return key === null ? null : { key, requestId };
  }

  /**
   * `keyOf` for a `GET` without a body read off a socket (lib/server/stream_front.ts): its URL
   * and its headers by lowercase name.
   */
  keyFrom(url: string, header: (name: string) => string | null | undefined): string | null {
    for (const name of PERSONAL_HEADERS) if (header(name) != null) return null;
    return this.#key(
      url,
      header("accept-language") ?? "",
      header("accept-encoding") ?? "",
      header("x-forwarded-proto") ?? "",
    );
  }

  #key(url: string, language: string, encoding: string, proto: string): string | null {
    let key = `${url}\n${language}\n${encoding}`;
    if (this.#forwardedProto) key += `\n${proto}`;
    return key.length <= MAX_KEY_LENGTH ? key : null;
  }

  /** Whether an answer is kept under `key` (fresh or not). */
  has(key: string): boolean {
    return this.#kept.has(key);
  }

  /** The answer kept under `key`, with `requestId` as its `X-Request-Id`, or null. */
  answer(key: string, requestId: string): Response | null {
    const kept = this.#take(key);
    if (!kept) return null;
    const response = kept.template.clone();
    response.headers.set("x-request-id", requestId);
    return response;
  }

  /**
   * The answer kept under `key` as HTTP/1.1 bytes, head and body, with `requestId` as its
   * `X-Request-Id` (and `Connection: close` when `close`), or null.
   */
  answerBytes(key: string, requestId: string, close: boolean): Uint8Array | null {
    const kept = this.#take(key);
    if (!kept) return null;
    kept.head ??= encoder.encode(
      "HTTP/1.1 200 OK\r\n" +
        Object.entries(kept.headers).filter(([name]) => !OWN_HEADERS.has(name))
          .map(([name, value]) => `${name}: ${value}\r\n`).join(""),
    );
    const own = encoder.encode(
      `x-request-id: ${requestId}\r\ndate: ${httpDate()}\r\n` +
        `content-length: ${kept.body.byteLength}\r\n${close ? "connection: close\r\n" : ""}\r\n`,
    );
    const bytes = new Uint8Array(kept.head.length + own.length + kept.body.byteLength);
    bytes.set(kept.head);
    bytes.set(own, kept.head.length);
    bytes.set(kept.body, kept.head.length + own.length);
    return bytes;
  }

  /** The fresh answer kept under `key`, counted as a hit, or null. */
  #take(key: string): Kept | null {
    const kept = this.#kept.get(key);
    if (!kept) return null;
    if (!kept.fresh()) {
      this.#drop(key, kept);
      return null;
    }
    this.hits++;
    return kept;
  }

  /** Keeps the application's answer to `request` under `key` if its route offered it. */
  consider(key: string, request: Request, response: Response): void {
    const offer = this.#offers.get(request);
    if (!offer || response.status !== 200 || response.headers.has("set-cookie")) return;
    if (!offer.fresh()) return;
    const headers: Record<string, string> = {};
    for (const [name, value] of response.headers) {
      if (!OWN_HEADERS.has(name)) headers[name] = value;
    }
    const old = this.#kept.get(key);
    if (old) this.#drop(key, old);
    // Headers set one by one, not given to the constructor: from those Deno would build a
    // native response (headers and body) for a `Response` that is never sent.
    const template = new Response(offer.body, { status: 200 });
    for (const name in headers) template.headers.set(name, headers[name]);
    this.#kept.set(key, { body: offer.body, headers, template, fresh: offer.fresh });
    this.#bytes += offer.body.byteLength + key.length;
    while (this.#kept.size > this.#limits.maxAnswers || this.#bytes > this.#limits.maxBytes) {
      const [oldestKey, oldest] = this.#kept.entries().next().value!;
      this.#drop(oldestKey, oldest);
    }
  }

  /** Drops every kept answer (the catalog changed). */
  clear(): void {
    this.#kept.clear();
    this.#bytes = 0;
  }

  #drop(key: string, kept: Kept): void {
    this.#kept.delete(key);
    this.#bytes -= kept.body.byteLength + key.length;
  }
}
