/**
 * Signing-key rotation (lib/auth/signing_keys.ts, tasks/keys.ts): a server's services on a store
 * file, `deno task keys:rotate` run against the same file as its own process (as an operator
 * would, the server running). Tokens minted before a rotation keep working until their key is
 * retired, then are refused; new tokens carry the new key id; an open order's token blocks the
 * retirement (message, exit status 1, nothing changed) unless `--force`; every rotation and
 * retirement is audited. Tokens from before key ids (no `kid`) verify with the first key.
 */
import assert from "node:assert/strict";
import { decodeProtectedHeader, SignJWT } from "jose";
import {
  BOOTSTRAP_AUDIT,
  call,
  deviceToken,
  expect,
  moveOrder,
  newTestServices,
  placeOrder,
  type TestServices,
} from "../fixtures.ts";
import {
  REFRESH_MS,
  retireSigningKey,
  rotateSigningKey,
  SigningKeys,
} from "../../lib/auth/signing_keys.ts";
import { Auth } from "../../lib/auth/tokens.ts";
import { listAuditEntries } from "../../lib/audit/log.ts";
import { AUDIT_SERVER_SCOPE, type AuditEntry } from "../../lib/audit/entry.ts";
import { secretKey, signingKeysKey } from "../../lib/kv/keys.ts";

const TASK = new URL("../../tasks/keys.ts", import.meta.url).pathname;

/** Runs `deno task keys:rotate ARGS` on the store at `path`: exit code and what it printed. */
async function keysTask(path: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", TASK, ...args],
    env: { SEATSERVE_KV_PATH: path, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Waits until `check` holds: the server's processes re-read the keys every `REFRESH_MS`. */
async function eventually(what: string, check: () => Promise<boolean>) {
  const deadline = Date.now() + REFRESH_MS + 3_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${REFRESH_MS + 3_000} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function meStatus(s: TestServices, token: string): Promise<number> {
  return (await call(s, "GET", "/api/me", { token })).status;
}

async function orderStatus(s: TestServices, order: { id: string; orderToken: string }) {
  return (await call(s, "GET", `/api/orders/${order.id}?token=${order.orderToken}`)).status;
}

function kidOf(token: string): string | undefined {
  return decodeProtectedHeader(token).kid;
}

async function signingAudit(s: TestServices): Promise<AuditEntry[]> {
  return (await listAuditEntries(s.kv, AUDIT_SERVER_SCOPE, { action: "signing_key", limit: 50 }))
    .entries.reverse();
}

Deno.test("[keys] rotate, old tokens still work, retire refused by an open order, forced, then refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-keys-" });
  const path = `${dir}/store.kv`;
  const s = await newTestServices({
    SEATSERVE_KV_PATH: path,
    SEATSERVE_STREAM_KEEPALIVE_SECONDS: "1",
  });
  try {
    const before = await deviceToken(s, "kitchen");
    assert.equal(kidOf(before.token), "k1");
    const oldOrder = await placeOrder(s);
    assert.match(oldOrder.orderToken, new RegExp(`^${s.location.id}\\.k1\\.[A-Za-z0-9_-]{32}$`));

    const rotated = await keysTask(path);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /^signing key k2 is current; k1 still verifies/);

    // Within a refresh, this process signs with k2; what k1 signed still opens.
    await eventually(
      "new device tokens carry k2",
      async () => kidOf((await deviceToken(s, "server")).token) === "k2",
    );
    const after = await deviceToken(s, "kitchen");
    assert.equal(kidOf(after.token), "k2");
    const newOrder = await placeOrder(s);
    assert.match(newOrder.orderToken, new RegExp(`^${s.location.id}\\.k2\\.`));
    assert.equal(await meStatus(s, before.token), 200);
    assert.equal(await orderStatus(s, oldOrder), 200);
    assert.equal(await orderStatus(s, newOrder), 200);

    // Retiring k1 while orders placed under it are open: refused, nothing changed.
    const refused = await keysTask(path, "--retire", "k1");
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^keys: Signing key k1 may still sign the order token of \d+ open orders?: .*Retire it once they are closed or cancelled, or with --force/,
    );
    assert.ok(refused.stderr.includes(oldOrder.id), refused.stderr);
    const unchanged = (await keysTask(path, "--list")).stdout.split("\n");
    assert.match(unchanged[0], /^k1\tverifies\t/);
    assert.match(unchanged[1], /^k2\tcurrent\t/);
    assert.equal(unchanged.length, 2);
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS + 200));
    assert.equal(await meStatus(s, before.token), 200);
    assert.equal(await orderStatus(s, oldOrder), 200);
    // The current key cannot be retired; an unknown one is not found.
    const current = await keysTask(path, "--retire", "k2");
    assert.equal(current.code, 1);
    assert.match(current.stderr, /k2 is the current key: rotate first/);
    assert.equal((await keysTask(path, "--retire", "k9")).code, 1);

    // A kitchen stream opened with k1's device token, re-checked every keep-alive (1 s here).
    const stream = await s.app.request("/api/kitchen/stream", {
      headers: { authorization: `Bearer ${before.token}`, accept: "text/event-stream" },
    });
    assert.equal(stream.status, 200);
    const streamText = new Response(stream.body).text();

    const forced = await keysTask(path, "--retire", "k1", "--force");
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^signing key k1 retired: .*\(forced: \d+ open orders? lost/);
    const listed = (await keysTask(path, "--list")).stdout.split("\n");
    assert.match(listed[0], /^k1\tretired\t\d{4}-/);
    assert.match(listed[1], /^k2\tcurrent\t\d{4}-/);

    // Within a refresh, what k1 signed is refused; what k2 signed is not.
    await eventually(
      "k1's device token refused",
      async () => await meStatus(s, before.token) === 401,
    );
    expect(await call(s, "GET", "/api/me", { token: before.token }), 401);
    expect(await call(s, "GET", `/api/orders/${oldOrder.id}?token=${oldOrder.orderToken}`), 401);
    assert.equal(await meStatus(s, after.token), 200);
    assert.equal(await orderStatus(s, newOrder), 200);
    // The stream ends at its next check, with the comment saying why.
    const ended = await Promise.race([
      streamText,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 5_000)),
    ]);
    assert.ok(ended !== null, "the k1 stream still runs 5 s after k1 was refused");
    assert.match(ended, /: the token this stream was opened with was revoked or has expired/);

    // The audit log: a rotation and a forced retirement, by the operator; none for refusals.
    const entries = await signingAudit(s);
    assert.deepEqual(entries.map((e) => [e.action, e.target]), [
      ["signing_key.rotate", { type: "signing_key", id: "k2" }],
      ["signing_key.retire", { type: "signing_key", id: "k1" }],
    ]);
    const [rotation, retirement] = entries;
    assert.deepEqual(rotation.before, { current: "k1" });
    assert.deepEqual(rotation.after, { current: "k2", verifying: ["k1", "k2"] });
    assert.deepEqual(retirement.before, { verifying: ["k1", "k2"] });
    const held = (retirement.after as { openOrders: number }).openOrders;
    assert.ok(held >= 1, `openOrders ${held}`);
    assert.deepEqual(retirement.after, { verifying: ["k2"], forced: true, openOrders: held });
    for (const entry of entries) {
      assert.equal(entry.actor.type, "operator");
      assert.equal(entry.actor.id, "deno task keys");
      assert.ok(Date.now() - Date.parse(entry.at) < 60_000);
    }
    // And the owner reads them through the API (its answer checked against the description).
    const api = expect(
      await call(s, "GET", "/api/audit?scope=server&action=signing_key", { token: s.ownerToken }),
      200,
    );
    assert.deepEqual(api.entries.map((e: AuditEntry) => e.action), [
      "signing_key.retire",
      "signing_key.rotate",
    ]);
  } finally {
    s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[keys] retiring without --force once the key's orders are closed or cancelled", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-keys-" });
  const path = `${dir}/store.kv`;
  const s = await newTestServices({ SEATSERVE_KV_PATH: path });
  try {
    const order = await placeOrder(s);
    assert.equal((await keysTask(path)).code, 0);
    assert.equal((await keysTask(path, "--retire", "k1")).code, 1);
    await moveOrder(s, order.id, "cancelled");
    const retired = await keysTask(path, "--retire", "k1");
    assert.equal(retired.code, 0, retired.stderr);
    assert.match(
      retired.stdout,
      /^signing key k1 retired: the device and order tokens it signed are refused now$/,
    );
    const [, retirement] = await signingAudit(s);
    assert.deepEqual(retirement.after, { verifying: ["k2"], forced: false, openOrders: 0 });
  } finally {
    s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[keys] a store from before key ids: its key becomes k1, and tokens without a kid keep working until it is retired", async () => {
  const s = await newTestServices();
  try {
    // What an older version left: one key under secret/signing_key, no key set.
    const legacySecret = crypto.getRandomValues(new Uint8Array(32));
    await s.kv.delete(signingKeysKey());
    await s.kv.set(secretKey("signing_key"), legacySecret);
    const keys = await SigningKeys.open(s.kv, { refreshMs: 60_000 });
    const auth = new Auth(s.kv, s.services.secrets, keys);
    try {
      assert.equal(keys.current.kid, "k1");
      assert.deepEqual(keys.current.secret, legacySecret);
      assert.equal(
        (await s.kv.get(secretKey("signing_key"))).value,
        null,
        "moved into the set, not left beside it",
      );
      // A device token as the old code signed it: no kid.
      const { record } = await auth.issueDeviceToken(
        { role: "owner", via: "bootstrap", id: "bootstrap", locations: "all", label: "" },
        { role: "kitchen", locationId: s.location.id },
        BOOTSTRAP_AUDIT,
      );
      const old = await new SignJWT({ role: record.role, loc: record.locationId })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer("seatserve")
        .setJti(record.id)
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(legacySecret);
      assert.equal((await auth.authenticate(old))?.id, record.id);
      // An order token as the old code made it: `<location>.<mac>`, the mac of the same key.
      const current = auth.orderToken(s.location.id, "01ORDER0000000000000000000");
      const [location, , mac] = current.split(".");
      const oldOrderToken = `${location}.${mac}`;
      assert.equal(
        await auth.orderTokenLocation("01ORDER0000000000000000000", oldOrderToken),
        s.location.id,
      );
      assert.equal(
        await auth.orderTokenLocation("01OTHER0000000000000000000", oldOrderToken),
        null,
      );

      await rotateSigningKey(s.kv, BOOTSTRAP_AUDIT);
      await keys.refresh();
      assert.equal((await auth.authenticate(old))?.id, record.id, "k1 still verifies");
      await retireSigningKey(s.kv, "k1", { force: false, context: BOOTSTRAP_AUDIT });
      await keys.refresh();
      assert.equal(await auth.authenticate(old), null);
      assert.equal(
        await auth.orderTokenLocation("01ORDER0000000000000000000", oldOrderToken),
        null,
      );
      assert.equal(await auth.orderTokenLocation("01ORDER0000000000000000000", current), null);
    } finally {
      keys.close();
    }
  } finally {
    s.close();
  }
});

Deno.test("[keys] a token of a key another process just added verifies at once; forged kids do not", async () => {
  const s = await newTestServices();
  try {
    // Two processes' copies that would not re-read on their own for a minute.
    const here = await SigningKeys.open(s.kv, { refreshMs: 60_000 });
    const there = await SigningKeys.open(s.kv, { refreshMs: 60_000 });
    try {
      const authHere = new Auth(s.kv, s.services.secrets, here);
      const authThere = new Auth(s.kv, s.services.secrets, there);
      await rotateSigningKey(s.kv, BOOTSTRAP_AUDIT);
      await there.refresh();
      assert.equal(there.current.kid, "k2");
      assert.equal(here.current.kid, "k1");
      const token = authThere.orderToken(s.location.id, "01ORDER0000000000000000000");
      assert.match(token, /\.k2\./);
      assert.equal(
        await authHere.orderTokenLocation("01ORDER0000000000000000000", token),
        s.location.id,
      );
      assert.equal(here.current.kid, "k2", "the unknown kid made it re-read");
      // A kid nobody issued, or a key's mac under another kid, opens nothing.
      const [location, , mac] = token.split(".");
      for (
        const forged of [`${location}.k7.${mac}`, `${location}.k1.${mac}`, `${location}..${mac}`]
      ) {
        assert.equal(await authHere.orderTokenLocation("01ORDER0000000000000000000", forged), null);
      }
    } finally {
      here.close();
      there.close();
    }
  } finally {
    s.close();
  }
});
