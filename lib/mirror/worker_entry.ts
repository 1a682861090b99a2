/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The mirror's Deno Worker: opens the store itself (to read the feed and the orders), runs the
 * mirror, posts its state every second (`status`), and stops on `stop` (answering `stopped` once
 * the mirror let go of Postgres and the store).
 */
import { MirrorRunner } from "./runner.ts";
import type { MirrorStatus } from "./status.ts";
import type { StartMessage } from "./worker.ts";

let running: { kv: Deno.Kv; runner: MirrorRunner } | null = null;

self.onmessage = async (event: MessageEvent<StartMessage | { type: "stop" }>) => {
  const data = event.data;
  if (data.type === "start" && !running) {
    const kv = await Deno.openKv(data.kvPath);
    // The Worker only reads the store; its state goes to the thread that writes it.
    const publish = (status: MirrorStatus) => self.postMessage({ type: "status", status });
    running = { kv, runner: new MirrorRunner(kv, { ...data, publish }).start() };
  } else if (data.type === "stop") {
    await running?.runner.close();
    running?.kv.close();
    running = null;
    self.postMessage({ type: "stopped" });
  }
};
