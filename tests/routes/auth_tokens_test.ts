/**
 * `GET /api/auth/tokens`: the location's device tokens as issued (never the secret), gone once
 * revoked, `active: false` once expired, only the caller's location's, for owners and managers.
 */
import assert from "node:assert/strict";
import { authTokenKey } from "../../lib/kv/keys.ts";
import type { DeviceTokenRecord } from "../../lib/auth/tokens.ts";
import { addLocation, call, deviceToken, expect, type Json, withServices } from "../fixtures.ts";

Deno.test("[api] device tokens: list", async (t) => {
  await withServices(async (s) => {
    const manager = await deviceToken(s, "manager", { label: "office" });
    const list = async (token = manager.token, query = "") =>
      expect(await call(s, "GET", `/api/auth/tokens${query}`, { token }), 200).tokens as Json[];

    let grill: Json;
    await t.step("issued tokens are listed with what was asked, oldest first", async () => {
      grill = expect(
        await call(s, "POST", "/api/auth/tokens", {
          token: manager.token,
          body: { role: "kitchen", label: "Grill screen", ttlSeconds: 3600 },
        }),
        201,
      );
      const tokens = await list();
      assert.deepEqual(tokens.map((x) => x.id), [manager.id, grill.id]);
      const record = (await s.kv.get<DeviceTokenRecord>(authTokenKey(grill.id))).value!;
      assert.deepEqual(tokens[1], {
        id: grill.id,
        role: "kitchen",
        label: "Grill screen",
        createdAt: record.createdAt,
        expiresAt: grill.expiresAt,
        active: true,
      });
      assert.equal(tokens[0].label, "office");
      assert.equal(tokens[0].role, "manager");
    });

    await t.step("never the secret", async () => {
      const reply = await call(s, "GET", "/api/auth/tokens", { token: manager.token });
      assert.ok(!reply.text.includes(grill.token));
      assert.ok(!reply.text.includes(manager.token));
      for (const token of reply.body.tokens) assert.equal(token.token, undefined);
    });

    await t.step("a revoked token is gone from the list", async () => {
      expect(
        await call(s, "DELETE", `/api/auth/tokens/${grill.id}`, { token: manager.token }),
        204,
      );
      assert.deepEqual((await list()).map((x) => x.id), [manager.id]);
    });

    await t.step("an expired record still stored reads active: false", async () => {
      const bar = await deviceToken(s, "kitchen", { label: "bar" });
      const entry = await s.kv.get<DeviceTokenRecord>(authTokenKey(bar.id));
      const expiresAt = new Date(Date.now() - 1000).toISOString();
      await s.kv.set(authTokenKey(bar.id), { ...entry.value!, expiresAt });
      const listed = (await list()).find((x) => x.id === bar.id);
      assert.deepEqual(listed && { active: listed.active, expiresAt: listed.expiresAt }, {
        active: false,
        expiresAt,
      });
      // And it opens nothing.
      expect(await call(s, "GET", "/api/orders", { token: bar.token }), 401, "invalid_token");
    });

    await t.step("only the caller's location's tokens", async () => {
      const other = await addLocation(s, { slug: "other-place", name: "Other", currency: "EUR" });
      const theirs = await deviceToken(s, "kitchen", { locationId: other.id, label: "theirs" });
      assert.ok(!(await list()).some((x) => x.id === theirs.id));
      const otherManager = await deviceToken(s, "manager", { locationId: other.id });
      assert.deepEqual(
        (await list(otherManager.token)).map((x) => x.id),
        [theirs.id, otherManager.id],
      );
    });

    await t.step("kitchen and server roles may not list them", async () => {
      for (const role of ["kitchen", "server"] as const) {
        const token = (await deviceToken(s, role)).token;
        expect(await call(s, "GET", "/api/auth/tokens", { token }), 403);
      }
      expect(await call(s, "GET", "/api/auth/tokens"), 401);
    });
  });
});
