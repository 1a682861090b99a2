/**
 * `deno task keys:rotate`: the token-signing keys of the store at `SEATSERVE_KV_PATH`
 * (lib/auth/signing_keys.ts). The server may keep running: every process picks the change up
 * within 2 s.
 *
 *   deno task keys:rotate                       add a key and make it current (the previous
 *                                               one keeps verifying the tokens it signed)
 *   deno task keys:rotate --retire k1 [--force] retire k1: what it signed is refused from then
 *                                               on; refused while an open order may hold an
 *                                               order token signed with it, unless --force
 *   deno task keys                              list the keys (never their secrets)
 *
 * Each rotation and retirement is audited (`GET /api/audit?scope=server`, actor `operator`).
 * Exit status 1 with a message when refused, 2 on bad arguments.
 */
import { parseArgs } from "node:util";
import { hostname } from "node:os";
import { configFromEnv } from "../lib/config.ts";
import { openStore } from "../lib/kv/store.ts";
import { newId } from "../lib/kv/ids.ts";
import { AppError } from "../lib/errors.ts";
import type { AuditContext } from "../lib/audit/entry.ts";
import { readSigningKeys, retireSigningKey, rotateSigningKey } from "../lib/auth/signing_keys.ts";

let parsed;
try {
  parsed = parseArgs({
    args: Deno.args.filter((arg) => arg !== "--"),
    options: {
      retire: { type: "string" },
      force: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
    },
  });
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
const { values } = parsed;
if (values.force && !values.retire) usage("--force goes with --retire <kid>");
if (values.list && values.retire) usage("--list or --retire, not both");

const config = configFromEnv();
const kv = await openStore(config);
const context: AuditContext = {
  actor: { type: "operator", id: "deno task keys", label: hostname() },
  requestId: newId(),
  retentionMs: config.auditRetentionMs,
  feedRetentionMs: config.eventRetentionMs,
};
try {
  if (values.list) {
    const { value: set } = await readSigningKeys(kv);
    for (const key of set.keys) {
      const state = key.kid === set.current ? "current" : key.retiredAt ? "retired" : "verifies";
      const since = key.retiredAt ?? key.currentFrom ?? "before key ids";
      console.log(`${key.kid}\t${state}\t${since}`);
    }
  } else if (values.retire) {
    const done = await retireSigningKey(kv, values.retire, { force: values.force, context });
    console.log(
      `signing key ${done.kid} retired: the device and order tokens it signed are refused now` +
        (done.heldBy.length
          ? ` (forced: ${done.heldBy.length} open order${
            done.heldBy.length === 1 ? "" : "s"
          } lost their guest's token)`
          : ""),
    );
  } else {
    const done = await rotateSigningKey(kv, context);
    console.log(
      `signing key ${done.current} is current; ${done.previous} still verifies what it signed. ` +
        `Retire it later with: deno task keys:rotate --retire ${done.previous}`,
    );
  }
} catch (error) {
  if (!(error instanceof AppError)) throw error;
  console.error(`keys: ${error.message}`);
  kv.close();
  Deno.exit(1);
}
kv.close();

function usage(problem: string): never {
  console.error(
    `keys: ${problem}\nusage: deno task keys:rotate [--retire <kid> [--force]] | deno task keys`,
  );
  Deno.exit(2);
}
