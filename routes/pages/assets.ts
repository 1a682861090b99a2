/**
 * `GET /assets/<hashed name>`: the pages' scripts and style sheet. A name holds its content's
 * hash, so an answer may be kept a year and never revalidated; compressed as the client allows.
 */
import { Hono } from "hono";
import { chooseCoding, compressedBody } from "../../lib/http/precompressed.ts";
import { sharedAssets } from "../../lib/assets/assets.ts";
import { notFound } from "../../lib/errors.ts";
import type { AppEnv } from "../state.ts";

export const assets = new Hono<AppEnv>().get("/assets/:name", async (c) => {
  const all = await sharedAssets(c.get("services").config.assetsDir);
  const asset = all.get(c.req.param("name"));
  if (!asset) throw notFound(`Asset "${c.req.param("name").slice(0, 80)}"`);
  c.header("Cache-Control", "public, max-age=31536000, immutable");
  c.header("ETag", asset.etag);
  c.header("Vary", "Accept-Encoding");
  c.header("Content-Type", asset.type);
  if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304);
  const coding = chooseCoding(c.req.header("accept-encoding"));
  if (!coding) return c.body(asset.bytes);
  c.header("Content-Encoding", coding);
  return c.body(compressedBody(asset.bytes, coding));
});
