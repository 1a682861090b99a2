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
  /** Every header but the request's own; `x-request-id` is written into it for each use. */
  headers: Record<string, string>;
  fresh: () => boolean;
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

  /** The key `request` is kept under, or null when its answer may be personal. */
  keyOf(request: Request): string | null {
    if (request.method !== "GET" || request.body !== null) return null;
    const headers = request.headers;
    for (const name of PERSONAL_HEADERS) if (headers.has(name)) return null;
    let key = `${request.url}\n${headers.get("accept-language") ?? ""}\n${
      headers.get("accept-encoding") ?? ""
    }`;
    if (this.#forwardedProto) key += `\n${headers.get("x-forwarded-proto") ?? ""}`;
    return key.length <= MAX_KEY_LENGTH ? key : null;
  }

  /** The answer kept under `key`, with `requestId` as its `X-Request-Id`, or null. */
  answer(key: string, requestId: string): Response | null {
    const kept = this.#kept.get(key);
    if (!kept) return null;
    if (!kept.fresh()) {
      this.#drop(key, kept);
      return null;
    }
    this.hits++;
    // The constructor copies the headers: the record can take the next request's id after.
    kept.headers["x-request-id"] = requestId;
    return new Response(kept.body, { status: 200, headers: kept.headers });
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
    this.#kept.set(key, { body: offer.body, headers, fresh: offer.fresh });
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
