/**
 * Assets (lib/assets/): a build written by `deno task build` serves the same files as one made at
 * start; a folder without a build is refused with a clear message.
 */
import assert from "node:assert/strict";
import { loadAssets, writeBuild } from "../../lib/assets/assets.ts";

Deno.test("[assets] a written build serves what a build at start serves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-assets-" });
  try {
    const written = await writeBuild(dir);
    const prebuilt = await loadAssets(dir);
    const fresh = await loadAssets(null);
    assert.deepEqual(prebuilt.page("guest"), fresh.page("guest"));
    assert.match(prebuilt.page("guest").script, /^\/assets\/guest-[A-Z0-9]+\.js$/);
    for (const name of written) {
      assert.deepEqual(prebuilt.get(name)?.bytes, fresh.get(name)?.bytes, name);
      assert.equal(prebuilt.get(name)?.type, "text/javascript; charset=UTF-8");
    }
    const styles = prebuilt.page("guest").styles.replace("/assets/", "");
    assert.match(new TextDecoder().decode(prebuilt.get(styles)!.bytes), /--accent/);
    await assert.rejects(() => loadAssets(`${dir}/nothing`), /holds no build.*deno task build/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
