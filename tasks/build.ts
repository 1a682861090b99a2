/**
 * `deno task build [DIR]`: builds the pages' scripts into DIR (default `static/build`) for a
 * server started with `SEATSERVE_ASSETS_DIR=DIR` (Deno Deploy: run it before deploying, since
 * no esbuild runs there). Without that setting the server builds them itself at start.
 */
import { writeBuild } from "../lib/assets/assets.ts";

const dir = Deno.args[0] ?? "static/build";
const files = await writeBuild(dir);
console.error(`${files.length} files written to ${dir}`);
console.log(dir);
