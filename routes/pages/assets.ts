/**
 * `GET /assets/<hashed name>`: the pages' scripts and style sheet. A name holds its content's
 * hash, so an answer may be kept a year and never revalidated; compressed as the client allows.
 */
import { Hono } from "hono";
import { sharedAssets } from "../../lib/assets/assets.ts";
import { notFound } from "../../lib/errors.ts";
import type { AppEnv } from "../state.ts";
import { immutableFile } from "./immutable.ts";

export const assets = new Hono<AppEnv>().get("/assets/:name", async (c) => {
  const all = await sharedAssets(c.get("services").config.assetsDir);
  const asset = all.get(c.req.param("name"));
  if (!asset) throw notFound(`Asset "${c.req.param("name").slice(0, 80)}"`);
  return immutableFile(c, asset);
});
