/**
 * `deno task client`: regenerates the typed API client's types (`lib/client/schema.d.ts`) from
 * the OpenAPI description this code serves, with npm `openapi-typescript`. The islands call the
 * API through `lib/client/api.ts` (npm `openapi-fetch`) over these types, so a page cannot call
 * the API in a way the description does not allow; a test fails when the file is stale.
 */
import { generateClientTypes } from "../lib/client/generate.ts";

const target = new URL("../lib/client/schema.d.ts", import.meta.url).pathname;
await Deno.writeTextFile(target, await generateClientTypes());
console.error(`wrote ${target}`);
