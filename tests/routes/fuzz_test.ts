/**
 * Hostile input never reaches the store and never breaks the server: every write endpoint is
 * posted well over a thousand generated bodies that are each invalid on purpose (wrong types, out
 * of range, missing fields, not JSON, not an object, too large, with prototype keys, odd unicode,
 * odd headers). Each must get a 4xx in exactly the contract's error shape, leave every KV entry as
 * it was (keys and versionstamps), and leave `Object.prototype` alone.
 *
 * The run is reproducible: `FUZZ_SEED=<n>` replays a failing seed, which is printed on failure.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ORDER_STATUSES } from "../../lib/orders/lifecycle.ts";
import {
  menuItems,
  newTestServices,
  postOrder,
  readTables,
  type TestServices,
} from "../fixtures.ts";

const OWNER = "fuzz-owner-token-0123456789abcdef";
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261125);
const MAX_BODY = 64 * 1024;

type App = TestServices["app"];

/** A JSON value written as raw text, so bodies can hold `__proto__` keys and non-JSON tokens. */
type Raw = string;

interface Target {
  ids: { orderId: string; itemId: string; tableId: string; tableToken: string; soldOut: string };
  takenTableNumbers: number[];
}

interface Endpoint {
  name: string;
  method: "POST" | "PATCH";
  path: (t: Target) => string;
  /** Bodies that are objects but invalid: each breaks at least one field, or names what is not there. */
  invalidObject: (t: Target) => fc.Arbitrary<Array<[string, Raw]>>;
}

// ---- hostile values ------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const hostileChar = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  loneSurrogate,
  fc.constantFrom("\u0000", "\u202e", "\u200f", "\ufeff", "😀", "👨‍👩‍👧", "\u0301", "\\", '"', "\n"),
);
const hostileString = fc.oneof(
  fc.string({ unit: hostileChar, maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "hasOwnProperty",
    "<script>alert(1)</script>",
    "'; DROP TABLE orders; --",
    "%00",
    "\u0000",
    "\u202egnp.exe",
    "مرحبا",
    "NaN",
    "Infinity",
    "-0",
  ),
);
const hugeString = fc.integer({ min: 1_000, max: 30_000 }).chain((n) =>
  fc.constantFrom("x", "😀", "\ud800", "é", " ").map((c) => c.repeat(Math.ceil(n / c.length)))
);
/** Numbers and number-like text that are never a valid count, price or id. */
const badNumberRaw = fc.oneof(
  fc.constantFrom(
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "0x10",
    "+1",
    ".5",
    "1.",
    "01",
    "undefined",
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)).map(
    (d) => JSON.stringify(d),
  ),
);

/** Raw JSON values of any type but the one a field wants. */
function notA(kind: "string" | "number" | "boolean" | "array" | "object"): fc.Arbitrary<Raw> {
  const options: fc.Arbitrary<Raw>[] = [
    fc.constant("null"),
    badNumberRaw,
    deepNesting(),
  ];
  if (kind !== "string") options.push(hostileString.map((s) => JSON.stringify(s)));
  if (kind !== "number") {
    options.push(fc.integer().map(String), fc.constantFrom("1e308", "-0", "9007199254740993"));
  }
  if (kind !== "boolean") options.push(fc.constantFrom("true", "false"));
  if (kind !== "array") options.push(fc.constantFrom("[]", "[1]", '["a"]', "[null]"));
  if (kind !== "object") {
    options.push(fc.constantFrom("{}", '{"__proto__":{"polluted":true}}', '{"length":1}'));
  }
  return fc.oneof(...options);
}

function deepNesting(): fc.Arbitrary<Raw> {
  return fc.tuple(fc.integer({ min: 50, max: 5_000 }), fc.boolean()).map(([depth, arrays]) =>
    arrays ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth)
  );
}

/** Keys no endpoint knows, some aimed at prototypes. */
const extraKey = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "__defineGetter__",
    "isAdmin",
    "role",
    "id",
    "locationId",
    "totalCents",
    "status",
    "version",
  ),
  hostileString,
);
const pollutingValue = fc.constantFrom(
  '{"polluted":true}',
  '{"prototype":{"polluted":true}}',
  '{"__proto__":{"polluted":true}}',
  '{"toString":"x","valueOf":1}',
  "[]",
  "1",
);
const extras = fc.array(
  fc.tuple(extraKey, fc.oneof(pollutingValue, notA("object"))),
  { maxLength: 4 },
);

/** A raw JSON string value. */
function str(arb: fc.Arbitrary<string>): fc.Arbitrary<Raw> {
  return arb.map((s) => JSON.stringify(s));
}

function raw(value: unknown): Raw {
  return JSON.stringify(value);
}

/** Builds an object body from fields: `valid` ones are fine, `broken` ones are not (≥1 broken). */
function objectBody(
  valid: Record<string, fc.Arbitrary<Raw>>,
  broken: Record<string, fc.Arbitrary<Raw | undefined>>,
): fc.Arbitrary<Array<[string, Raw]>> {
  const brokenNames = Object.keys(broken);
  return fc.tuple(
    fc.subarray(brokenNames, { minLength: 1 }),
    fc.record(valid),
    fc.record(broken),
    fc.subarray(Object.keys(valid)),
    extras,
    fc.boolean(),
  ).map(([breakThese, validValues, brokenValues, dropValid, extra, extrasFirst]) => {
    const fields: Array<[string, Raw]> = [];
    for (const [name, value] of Object.entries(validValues)) {
      if (breakThese.includes(name)) continue;
      if (dropValid.includes(name) && !(name in broken)) continue;
      fields.push([name, value]);
    }
    for (const name of breakThese) {
      const value = brokenValues[name];
      if (value !== undefined) fields.push([name, value]); // undefined: the field is left out
    }
    return extrasFirst ? [...extra, ...fields] : [...fields, ...extra];
  });
}

/** A field broken by a wrong type, a bad value, or by being absent. */
function brokenField(...bad: fc.Arbitrary<Raw | undefined>[]): fc.Arbitrary<Raw | undefined> {
  return fc.oneof(...bad);
}

const missing = fc.constant(undefined);
const tooLong = (max: number) =>
  fc.integer({ min: max + 1, max: max + 300 }).chain((n) =>
    fc.constantFrom("x", "😀", "é", "\ud800").map((c) => raw(c.repeat(n)))
  );
const blank = fc.constantFrom('""', '"   "', '"\\t\\n"');

// ---- the endpoints -------------------------------------------------------------------------------

const ENDPOINTS: Endpoint[] = [
  {
    name: "POST /api/orders",
    method: "POST",
    path: () => "/api/orders",
    invalidObject: (t) => {
      const line = (menuItemId: fc.Arbitrary<Raw>, quantity: fc.Arbitrary<Raw>) =>
        fc.tuple(menuItemId, quantity, fc.option(str(fc.string({ maxLength: 20 })))).map(
          ([id, q, note]) => `{"menuItemId":${id},"quantity":${q}${note ? `,"note":${note}` : ""}}`,
        );
      const goodLine = line(
        fc.constant(raw(t.ids.itemId)),
        fc.integer({ min: 1, max: 50 }).map(String),
      );
      const badLine = fc.oneof(
        line(
          fc.constant(raw(t.ids.itemId)),
          fc.oneof(
            fc.constantFrom("0", "51", "-1", "1.5", '"1"', "null", "true", "1e3"),
            badNumberRaw,
            notA("number"),
          ),
        ),
        line(fc.oneof(notA("string"), tooLong(64), fc.constant('""')), fc.constant("1")),
        // well formed, but not on the menu (422) or sold out (409)
        line(str(hostileString.filter((s) => s.length > 0)), fc.constant("1")),
        line(fc.constant(raw(t.ids.soldOut)), fc.constant("1")),
        fc.tuple(goodLine, tooLong(200)).map(([l, note]) => l.replace(/}$/, `,"note":${note}}`)),
        notA("object"),
      );
      const lines = (good: fc.Arbitrary<string>, min: number, max: number) =>
        fc.array(good, { minLength: min, maxLength: max }).map((ls) => `[${ls.join(",")}]`);
      return objectBody(
        {
          tableToken: fc.constant(raw(t.ids.tableToken)),
          items: lines(goodLine, 1, 3),
          note: str(fc.string({ maxLength: 50 })),
        },
        {
          tableToken: brokenField(
            missing,
            notA("string"),
            tooLong(200),
            fc.constant('""'),
            str(hostileString), // a token no table has: 401
          ),
          items: brokenField(
            missing,
            notA("array"),
            fc.constant("[]"),
            lines(goodLine, 101, 120),
            fc.tuple(lines(goodLine, 0, 2), badLine).map(([ls, bad]) =>
              ls === "[]" ? `[${bad}]` : ls.replace(/]$/, `,${bad}]`)
            ),
          ),
          note: brokenField(notA("string"), tooLong(500)),
        },
      );
    },
  },
  {
    name: "PATCH /api/orders/{id}",
    method: "PATCH",
    path: (t) => `/api/orders/${t.ids.orderId}`,
    invalidObject: () =>
      objectBody({}, {
        status: brokenField(
          missing,
          notA("string"),
          str(
            hostileString.filter((s) => !(ORDER_STATUSES as readonly string[]).includes(s)),
          ),
          fc.constantFrom('"QUEUED"', '" queued"', '"queued "', '"Pending"', '"canceled"'),
          // legal names, illegal moves from `pending`: 409
          fc.constantFrom('"pending"', '"preparing"', '"ready"', '"delivered"', '"closed"'),
        ),
      }),
  },
  {
    name: "POST /api/menu/items",
    method: "POST",
    path: () => "/api/menu/items",
    invalidObject: () =>
      objectBody(
        {
          name: str(fc.string({ minLength: 1, maxLength: 30 }).map((s) => `n${s}`)),
          priceCents: fc.integer({ min: 0, max: 100_000_000 }).map(String),
          category: fc.constant('"Mains"'),
          description: str(fc.string({ maxLength: 40 })),
          available: fc.boolean().map(String),
          allergens: fc.constant('["milk"]'),
        },
        {
          name: brokenField(missing, notA("string"), blank, tooLong(100)),
          priceCents: brokenField(
            missing,
            notA("number"),
            fc.constantFrom("-1", "100000001", "1.5", '"100"', "-0.5", "1e9"),
          ),
          category: brokenField(missing, notA("string"), blank, tooLong(60)),
          description: brokenField(notA("string"), tooLong(1000)),
          available: brokenField(notA("boolean"), fc.constantFrom('"true"', "1", "0")),
          allergens: brokenField(
            notA("array"),
            fc.constantFrom('[""]', '["  "]', "[1]", "[null]", '[["milk"]]'),
            tooLong(40).map((s) => `[${s}]`),
            fc.integer({ min: 21, max: 40 }).map((n) => raw(Array(n).fill("a"))),
          ),
        },
      ),
  },
  {
    name: "PATCH /api/menu/items/{id}",
    method: "PATCH",
    path: (t) => `/api/menu/items/${t.ids.itemId}`,
    invalidObject: () =>
      fc.oneof(
        // nothing to change: no field at all, only unknown or prototype keys
        extras,
        objectBody(
          {
            name: str(fc.string({ minLength: 1, maxLength: 30 }).map((s) => `n${s}`)),
            available: fc.boolean().map(String),
            priceCents: fc.integer({ min: 0, max: 1000 }).map(String),
          },
          {
            name: brokenField(notA("string"), blank, tooLong(100)),
            priceCents: brokenField(notA("number"), fc.constantFrom("-1", "100000001", "2.5")),
            category: brokenField(notA("string"), blank, tooLong(60)),
            description: brokenField(notA("string"), tooLong(1000)),
            available: brokenField(notA("boolean"), fc.constantFrom('"false"', "0")),
            allergens: brokenField(notA("array"), fc.constantFrom('[""]', "[false]")),
          },
        ),
      ),
  },
  {
    name: "POST /api/tables",
    method: "POST",
    path: () => "/api/tables",
    invalidObject: (t) =>
      objectBody(
        {
          number: fc.integer({ min: 1000, max: 9999 }).map(String),
          seats: fc.integer({ min: 1, max: 100 }).map(String),
        },
        {
          number: brokenField(
            missing,
            notA("number"),
            fc.constantFrom("0", "-1", "10000", "1.5", '"7"'),
            fc.constantFrom(...t.takenTableNumbers).map(String), // duplicate: 409
          ),
          seats: brokenField(missing, notA("number"), fc.constantFrom("0", "101", "2.5", '"4"')),
        },
      ),
  },
  {
    name: "PATCH /api/tables/{id}",
    method: "PATCH",
    path: (t) => `/api/tables/${t.ids.tableId}`,
    invalidObject: (t) =>
      fc.oneof(
        extras,
        objectBody(
          {
            seats: fc.integer({ min: 1, max: 100 }).map(String),
            status: fc.constantFrom('"available"', '"occupied"'),
          },
          {
            number: brokenField(
              notA("number"),
              fc.constantFrom("0", "10000", "3.5"),
              // another table's number: 409 (the target table is number 1)
              fc.constantFrom(...t.takenTableNumbers.filter((n) => n !== 1)).map(String),
            ),
            seats: brokenField(notA("number"), fc.constantFrom("0", "101")),
            status: brokenField(notA("string"), str(hostileString), fc.constantFrom('"AVAILABLE"')),
            rotateToken: brokenField(fc.constantFrom("false", '"true"', "1", "null", "{}")),
          },
        ),
      ),
  },
  {
    name: "POST /api/locations",
    method: "POST",
    path: () => "/api/locations",
    invalidObject: () =>
      objectBody(
        {
          slug: fc.stringMatching(/^[a-z][a-z0-9]{2,20}$/).map((s) => raw(`fz-${s}`)),
          name: fc.constant('"Fuzz Bistro"'),
          currency: fc.constantFrom('"EUR"', '"USD"', '"JPY"'),
          defaultLanguage: fc.constantFrom('"en"', '"de-CH"'),
        },
        {
          slug: brokenField(
            missing,
            notA("string"),
            fc.constantFrom('"demo"', '""', '"Demo"', '"-a"', '"a-"', '"a b"', '"a_b"', '"ü"'),
            fc.constant(raw("a".repeat(65))),
            str(hostileString.filter((s) => !/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(s))),
          ),
          name: brokenField(missing, notA("string"), blank, tooLong(100)),
          currency: brokenField(
            missing,
            notA("string"),
            fc.constantFrom('"eur"', '"EURO"', '""', '"€"', '"E"', '"ZZZ"'),
          ),
          defaultLanguage: brokenField(
            notA("string"),
            fc.constantFrom('"english"', '"e"', '""', '"EN"', '"en_US"', '"en-"'),
          ),
        },
      ),
  },
  {
    name: "POST /api/auth/tokens",
    method: "POST",
    path: () => "/api/auth/tokens",
    invalidObject: () =>
      objectBody(
        {
          role: fc.constantFrom('"kitchen"', '"server"', '"manager"', '"owner"'),
          label: str(fc.string({ maxLength: 20 })),
          ttlSeconds: fc.integer({ min: 60, max: 86_400 }).map(String),
        },
        {
          role: brokenField(
            missing,
            notA("string"),
            fc.constantFrom('"god"', '"Owner"', '"admin"', '"guest"', '""', '"__proto__"'),
          ),
          label: brokenField(notA("string"), tooLong(100)),
          ttlSeconds: brokenField(
            notA("number"),
            fc.constantFrom("59", "0", "-60", "60.5", "31622401", '"3600"'),
          ),
          locationId: brokenField(
            notA("string"),
            fc.constant('""'),
            tooLong(64),
            fc.constant('"01NOSUCHLOCATION0000000000"'), // well formed, not there: 404
          ),
        },
      ),
  },
];

// ---- whole requests ------------------------------------------------------------------------------

interface Attempt {
  endpoint: Endpoint;
  body: string;
  contentType: string | null;
  headers: Record<string, string>;
  /** What the status must be, when the request alone decides it. */
  expect?: number;
}

function serialize(fields: Array<[string, Raw]>): string {
  return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;
}

/** Header values a client could send (byte strings without CR, LF or NUL). */
const headerGarbage = fc.oneof(
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) =>
      String.fromCharCode(c)
    ),
    maxLength: 300,
  }),
  fc.constantFrom("", " ", '"', '""', 'W/"', '"-1"', '"1e3"', "*", '"99999999999"', "\t"),
  fc.integer({ min: 256, max: 2_000 }).map((n) => "k".repeat(n)),
);
const oddHeaders = fc.record({
  "idempotency-key": headerGarbage,
  "if-match": headerGarbage,
  "if-none-match": headerGarbage,
  "x-forwarded-for": headerGarbage,
  accept: fc.constantFrom("*/*", "text/html", "application/xml", ""),
}, { requiredKeys: [] });

const jsonTypes = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "application/json;charset=UTF-8",
  "Application/JSON",
);
const notJsonTypes = fc.constantFrom(
  null,
  "",
  "text/plain",
  "text/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=zzz",
  "application/jsonp",
  "application/json-patch+json",
  "application/xml",
  "json",
);

/** Text that is not JSON at all. */
const notJsonText = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "{",
    "}",
    "[",
    '{"a":}',
    "{'a':1}",
    '{"a":1,}',
    "[1,]",
    "NaN",
    "undefined",
    "{a:1}",
    '{"a":1}{"b":2}',
    '"\\ud800',
    "\ufeff{}",
    "\u0000",
    "// {}",
    '{"tableToken":"x","items":[{"menuItemId":"y","quantity":1}]',
  ),
  fc.integer({ min: 1, max: 20_000 }).map((n) => "[".repeat(n)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => '{"a":'.repeat(n)),
  fc.string({ unit: hostileChar, minLength: 1, maxLength: 200 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);

/** A JSON value that is not an object. */
const notAnObjectText = fc.oneof(
  notA("object").filter((v) => {
    try {
      const parsed = JSON.parse(v);
      return parsed === null || typeof parsed !== "object" || Array.isArray(parsed);
    } catch {
      return true;
    }
  }),
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }).map((a) => JSON.stringify(a)),
  hugeString.map((s) => JSON.stringify(s)),
);

function attempts(target: Target): fc.Arbitrary<Attempt> {
  return fc.constantFrom(...ENDPOINTS).chain((endpoint) =>
    fc.oneof(
      { weight: 6, arbitrary: endpoint.invalidObject(target).map(serialize) },
      { weight: 1, arbitrary: notJsonText },
      { weight: 1, arbitrary: notAnObjectText },
    ).chain((body) =>
      fc.tuple(
        fc.oneof({ weight: 8, arbitrary: jsonTypes }, { weight: 1, arbitrary: notJsonTypes }),
        oddHeaders,
      ).map(([contentType, headers]): Attempt => {
        const isJson = contentType !== null && /^application\/json(;|$)/i.test(contentType);
        return {
          endpoint,
          body,
          contentType,
          headers,
          expect: !isJson
            ? 415
            : new TextEncoder().encode(body).length > MAX_BODY
            ? 413
            : undefined,
        };
      })
    )
  );
}

/** Bodies past the limit, valid JSON or not, with or without a Content-Length. */
function oversize(target: Target): fc.Arbitrary<Attempt & { streamed: boolean }> {
  return fc.tuple(
    fc.constantFrom(...ENDPOINTS),
    fc.integer({ min: MAX_BODY + 1, max: 4 * MAX_BODY }),
    fc.constantFrom("pad-valid", "string", "garbage"),
    fc.boolean(),
  ).map(([endpoint, size, kind, streamed]) => {
    let body: string;
    if (kind === "pad-valid") {
      // A body that would be accepted but for its size.
      const valid = endpoint.name === "POST /api/orders"
        ? {
          tableToken: target.ids.tableToken,
          items: [{ menuItemId: target.ids.itemId, quantity: 1 }],
        }
        : endpoint.name.startsWith("PATCH /api/orders")
        ? { status: "queued" }
        : endpoint.name.startsWith("PATCH")
        ? { seats: 3, available: false }
        : { number: 4242, seats: 2, name: "x", priceCents: 1, category: "c", role: "kitchen" };
      const text = JSON.stringify(valid);
      body = text + " ".repeat(Math.max(0, size - text.length));
    } else if (kind === "string") {
      body = JSON.stringify({ note: "😀".repeat(Math.ceil(size / 4)) });
    } else {
      body = "x".repeat(size);
    }
    return { endpoint, body, contentType: "application/json", headers: {}, expect: 413, streamed };
  });
}

/**
 * Bodies that would be accepted, refused for something else: a garbage `Idempotency-Key` (400), a
 * garbage or stale `If-Match` (400, 409), or an id that names nothing (400, 404).
 */
function validButRefused(target: Target): fc.Arbitrary<Attempt> {
  const printable = fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 20,
  });
  const badByte = fc.oneof(
    fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom(" ", "\t", "\x7f"),
  );
  const badKey = fc.oneof(
    fc.tuple(fc.string({ unit: fc.constantFrom("k", "0", "-"), minLength: 1 }), badByte, printable)
      .map(([a, bad, b]) => `${a}${bad}${b}k`),
    fc.integer({ min: 256, max: 2_000 }).map((n) => "k".repeat(n)),
  );
  const ifMatch = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/;
  const badIfMatch = fc.oneof(
    headerGarbage.filter((v) => !ifMatch.test(v.trim()) && v.trim() !== ""),
    fc.constantFrom('"1"x', "1,2", '"-1"', '"1.0"', '"1234567890"', "W/", '"abc"'),
  );
  const unknownId = fc.oneof(
    fc.constantFrom("01NOSUCHTHING0000000000000", "0", "%F0%9F%98%80", "%00", "..%2F..%2Fsecret"),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    fc.integer({ min: 65, max: 300 }).map((n) => "z".repeat(n)), // too long: 400
  );
  const order = JSON.stringify({
    tableToken: target.ids.tableToken,
    items: [{ menuItemId: target.ids.itemId, quantity: 1 }],
  });
  const byName = (name: string) => ENDPOINTS.find((e) => e.name === name)!;
  const at = (endpoint: Endpoint, id: string): Endpoint => ({
    ...endpoint,
    path: () => endpoint.path(target).replace(/[^/]+$/, id),
  });
  const attempt = (endpoint: Endpoint, body: string, headers: Record<string, string> = {}) => ({
    endpoint,
    body,
    contentType: "application/json",
    headers,
  });
  return fc.oneof(
    badKey.map((key) => attempt(byName("POST /api/orders"), order, { "idempotency-key": key })),
    badIfMatch.map((tag) =>
      attempt(byName("PATCH /api/orders/{id}"), '{"status":"queued"}', { "if-match": tag })
    ),
    fc.integer({ min: 2, max: 999_999_999 }).map((version) =>
      attempt(byName("PATCH /api/orders/{id}"), '{"status":"queued"}', {
        "if-match": `"${version}"`,
      })
    ),
    unknownId.map((id) => attempt(at(byName("PATCH /api/orders/{id}"), id), '{"status":"queued"}')),
    unknownId.map((id) =>
      attempt(at(byName("PATCH /api/menu/items/{id}"), id), '{"available":false}')
    ),
    unknownId.map((id) => attempt(at(byName("PATCH /api/tables/{id}"), id), '{"seats":7}')),
  );
}

// ---- the checks ----------------------------------------------------------------------------------

const ERROR_CODE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

async function assertContractError(response: Response, what: string): Promise<void> {
  assert.ok(
    response.status >= 400 && response.status < 500,
    `${what}: expected a 4xx, got ${response.status}: ${await response.clone().text()}`,
  );
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/, what);
  const body = await response.json();
  assert.deepEqual(Object.keys(body), ["error"], `${what}: body ${JSON.stringify(body)}`);
  const error = body.error;
  assert.equal(typeof error, "object", what);
  const keys = Object.keys(error).sort();
  assert.ok(
    keys.join() === "code,message" || keys.join() === "code,details,message",
    `${what}: error keys ${keys}`,
  );
  assert.equal(typeof error.code, "string", what);
  assert.match(error.code, ERROR_CODE, what);
  assert.equal(typeof error.message, "string", what);
  assert.ok(error.message.length > 0, what);
  if ("details" in error) {
    assert.ok(Array.isArray(error.details) && error.details.length > 0, what);
    for (const detail of error.details) {
      assert.deepEqual(Object.keys(detail).sort(), ["message", "path"], what);
      assert.equal(typeof detail.path, "string", what);
      assert.equal(typeof detail.message, "string", what);
    }
  }
}

async function snapshot(kv: Deno.Kv): Promise<string[]> {
  const entries: string[] = [];
  for await (const entry of kv.list({ prefix: [] }, { batchSize: 1000 })) {
    entries.push(`${JSON.stringify(entry.key)}@${entry.versionstamp}`);
  }
  return entries;
}

function prototypeState(): string {
  const protos = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
  return protos.map((p) => Object.getOwnPropertyNames(p).sort().join(",")).join("|");
}

// ---- setup ---------------------------------------------------------------------------------------

async function setUp() {
  const t = await newTestServices({ SEATSERVE_BOOTSTRAP_TOKEN: OWNER });
  const { kv, app } = t;
  const items = await menuItems(t);
  const tables = await readTables(t);
  const available = items.find((i) => i.available)!;
  const soldOut = items.find((i) => !i.available)!;
  // Checked: the order is read back and compared with its body.
  const order = await postOrder(t, {
    tableToken: tables[0].token,
    items: [{ menuItemId: available.id, quantity: 1 }],
  });
  assert.equal(order.status, "pending");
  const target: Target = {
    ids: {
      orderId: order.id,
      itemId: available.id,
      tableId: tables[0].id,
      tableToken: tables[0].token,
      soldOut: soldOut.id,
    },
    takenTableNumbers: tables.map((t) => t.number),
  };
  assert.equal(tables[0].number, 1);
  return {
    kv,
    app,
    target,
    close: () => t.close(),
  };
}

async function send(
  app: App,
  attempt: Attempt,
  target: Target,
  streamed = false,
): Promise<Response> {
  const headers = new Headers({ authorization: `Bearer ${OWNER}` });
  for (const [name, value] of Object.entries(attempt.headers)) headers.set(name, value);
  if (attempt.contentType !== null) headers.set("content-type", attempt.contentType);
  const bytes = new TextEncoder().encode(attempt.body);
  let body: BodyInit = bytes;
  if (streamed) {
    body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 16 * 1024) {
          controller.enqueue(bytes.subarray(i, i + 16 * 1024));
        }
        controller.close();
      },
    });
  } else {
    headers.set("content-length", String(bytes.length));
  }
  return await app.request(attempt.endpoint.path(target), {
    method: attempt.endpoint.method,
    headers,
    body,
  });
}

function describe(attempt: Attempt): string {
  const body = attempt.body.length > 300
    ? `${attempt.body.slice(0, 300)}… (${attempt.body.length} chars)`
    : attempt.body;
  return `${attempt.endpoint.name} [${attempt.contentType}] ${JSON.stringify(attempt.headers)} ${
    JSON.stringify(body)
  }`;
}

async function runProperty<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  numRuns: number,
  check: (value: T) => Promise<void>,
): Promise<void> {
  try {
    await fc.assert(fc.asyncProperty(arbitrary, check), {
      seed: SEED,
      numRuns,
      endOnFailure: true,
    });
  } catch (error) {
    console.error(`[fuzz] ${name} failed with seed ${SEED}; replay with FUZZ_SEED=${SEED}`);
    throw error;
  }
}

// ---- the tests -----------------------------------------------------------------------------------

Deno.test("[fuzz] hostile bodies on every write endpoint: 4xx, contract error, store unchanged", async (t) => {
  const { kv, app, target, close } = await setUp();
  const prototypesBefore = prototypeState();
  // Re-taken at the start of each step, so one failing step does not fail the next ones.
  let before = await snapshot(kv);
  const perEndpoint = new Map<string, number>();
  const statuses = new Map<number, number>();
  let sent = 0;
  const check = async (attempt: Attempt, streamed = false) => {
    const response = await send(app, attempt, target, streamed);
    sent++;
    perEndpoint.set(attempt.endpoint.name, (perEndpoint.get(attempt.endpoint.name) ?? 0) + 1);
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const what = describe(attempt);
    if (attempt.expect !== undefined) {
      assert.equal(response.status, attempt.expect, `${what}: ${await response.clone().text()}`);
    }
    await assertContractError(response, what);
    assert.deepEqual(await snapshot(kv), before, `${what}: the store changed`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, `${what}: polluted`);
    assert.equal(prototypeState(), prototypesBefore, `${what}: a prototype changed`);
  };
  try {
    await t.step("invalid bodies, non-JSON text and non-objects", async () => {
      before = await snapshot(kv);
      await runProperty("bodies", attempts(target), 1_200, (a) => check(a));
    });
    await t.step("valid bodies with garbage headers or unknown ids", async () => {
      before = await snapshot(kv);
      await runProperty("refused", validButRefused(target), 240, (a) => check(a));
    });
    await t.step("bodies over 64 KiB are 413, with or without Content-Length", async () => {
      before = await snapshot(kv);
      await runProperty("oversize", oversize(target), 60, (a) => check(a, a.streamed));
    });
  } finally {
    close();
  }
  console.log(
    `[fuzz] seed ${SEED}: ${sent} requests; by endpoint ${
      JSON.stringify(Object.fromEntries(perEndpoint))
    }; by status ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
  );
  assert.ok(sent >= 1_000, `only ${sent} requests`);
  for (const endpoint of ENDPOINTS) {
    assert.ok((perEndpoint.get(endpoint.name) ?? 0) >= 50, `${endpoint.name} barely exercised`);
  }
});
