/** A page request's path and query, to come back to (after signing out). */
import type { Context } from "hono";

export function pathOf(c: Context): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}
