/**
 * The typed API client, for islands and integrators: npm `openapi-fetch` over the types that
 * `deno task client` generates from our OpenAPI description, so a call the description does
 * not allow (a wrong path, body or parameter) fails to type-check.
 */
import createClient from "openapi-fetch";
import type { paths } from "./schema.d.ts";

/** A client for the API at `baseUrl` (default: this page's own origin). */
export function apiClient(baseUrl = "") {
  return createClient<paths>({ baseUrl });
}

export type { paths };
