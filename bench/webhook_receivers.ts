/**
 * Webhook receivers in a process of their own, for `bench/webhooks.ts`, so that verifying and
 * recording deliveries does not compete with the load generator's thread. Prints one URL a line
 * for `--count` receivers (tests/webhooks/receiver.ts, signatures verified with npm
 * `standardwebhooks`), then reads commands on stdin: `secret <i> <whsec_...>`, `wait <n>` (until
 * every receiver has `n` deliveries, or 120 s), `dump <path>` (writes each receiver's
 * `{ id, orderId, createdAt, at }` list and bad-signature count as JSON), `exit`. Answers each
 * command with one line.
 */
import { parseArgs } from "node:util";
import { startReceiver } from "../tests/webhooks/receiver.ts";

const { values } = parseArgs({ args: Deno.args, options: { count: { type: "string" } } });
const receivers = Array.from({ length: Number(values.count ?? 3) }, () => startReceiver());
for (const receiver of receivers) console.log(receiver.url);

const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let buffered = "";
for await (const chunk of lines) {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf("\n")) >= 0) {
    const [command, ...args] = buffered.slice(0, newline).trim().split(" ");
    buffered = buffered.slice(newline + 1);
    if (command === "secret") receivers[Number(args[0])].setSecret(args[1]);
    if (command === "wait") {
      await Promise.all(
        receivers.map((r) => r.until((got) => got.length >= Number(args[0]), 120_000)),
      ).catch((error) => console.log(`# ${error}`));
    }
    if (command === "dump") {
      Deno.writeTextFileSync(
        args[0],
        JSON.stringify(receivers.map((r) => ({
          invalid: r.invalid,
          received: r.received.map((x) => ({
            id: x.id,
            orderId: x.data.id,
            createdAt: x.data.createdAt,
            at: x.at,
          })),
        }))),
      );
    }
    if (command === "exit") {
      console.log("ok");
      await Promise.all(receivers.map((r) => r.close()));
      Deno.exit(0);
    }
    console.log("ok");
  }
}
