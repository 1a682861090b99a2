/**
 * The typed client (lib/client/): its generated types are those of the description this code
 * serves; when a route or schema changes, this fails until `deno task client` is run.
 */
import assert from "node:assert/strict";
import { generateClientTypes } from "../../lib/client/generate.ts";

Deno.test("[client] lib/client/schema.d.ts is up to date (else: deno task client)", async () => {
  const committed = await Deno.readTextFile(
    new URL("../../lib/client/schema.d.ts", import.meta.url),
  );
  const fresh = await generateClientTypes();
  assert.ok(committed === fresh, "lib/client/schema.d.ts is stale: run `deno task client`");
  // It describes what the islands call.
  assert.match(fresh, /"\/api\/orders": \{/);
  assert.match(fresh, /createOrder: \{/);
});
