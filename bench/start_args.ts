/**
 * The `deno run` arguments of `deno task start`, read from deno.json, so that the benchmarks run
 * the server exactly as it is started (V8 flags included) and cannot drift from it.
 */
const DENO_JSON = new URL("../deno.json", import.meta.url);

/** `deno task start`'s arguments after `deno`, with `extraFlags` before the script. */
export function startArgs(extraFlags: string[] = []): string[] {
  const config = JSON.parse(Deno.readTextFileSync(DENO_JSON)) as { tasks: { start: string } };
  const [deno, ...args] = config.tasks.start.trim().split(/\s+/);
  const script = args.pop();
  if (deno !== "deno" || args[0] !== "run" || script !== "main.ts") {
    throw new Error(`unexpected start task: ${config.tasks.start}`);
  }
  return [...args, ...extraFlags, new URL("../main.ts", import.meta.url).pathname];
}
