/** The JSON-bytes codec of the order path (lib/codec.ts). */
import assert from "node:assert/strict";
import { decodeJson, encodeJson, joinJson, withJsonField } from "../../lib/kv/codec.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("[codec] encodeJson, joinJson, withJsonField", async (t) => {
  const order = { id: "01J", note: 'sans oignons 🧅 "é"\n', lines: [{ q: 2 }], total: 1250 };

  await t.step("a value survives encoding and decoding", () => {
    assert.deepEqual(decodeJson(encodeJson(order)), order);
  });

  await t.step("joinJson is the JSON of head + the parts as an array + tail", () => {
    const parts = [encodeJson(order), encodeJson({ id: "02K" }), encodeJson([1, "two"])];
    const joined = joinJson('{"at":"now","orders":[', parts, "]}");
    assert.deepEqual(decodeJson(joined), { at: "now", orders: [order, { id: "02K" }, [1, "two"]] });
    assert.equal(text(joinJson("[", [], "]")), "[]");
  });

  await t.step("withJsonField adds one field at the end, as JSON.stringify would", () => {
    const token = 'loc.abc"\\def';
    assert.equal(
      text(withJsonField(encodeJson(order), "orderToken", token)),
      JSON.stringify({ ...order, orderToken: token }),
    );
    assert.equal(text(withJsonField(encodeJson({}), "a", 1)), '{"a":1}');
    assert.throws(() => withJsonField(encodeJson([1]), "a", 1), /not the bytes of a JSON object/);
  });
});
