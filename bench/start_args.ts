/**
 * The `deno run` arguments of `deno task start`, read from deno.json, so that the benchmarks run
 * the server exactly as it is started (V8 flags included) and cannot drift from it.
 */
const REPO_ROOT = new URL("..", import.meta.url).pathname;

/**
 * `deno task start`'s arguments after `deno`, with `extraFlags` before the script, as read from
 * `<root>/deno.json` and pointing at `<root>/main.ts`. `root` defaults to this working tree; pass
 * another tree (say, an older revision) to start its server as its own start task would. Run the
 * process with `cwd` = `root` so that it also uses that tree's deno.json and deno.lock.
 */
export function startArgs(extraFlags: string[] = [], root: string = REPO_ROOT): string[] {
  const dir = root.endsWith("/") ? root : `${root}/`;
  const config = JSON.parse(Deno.readTextFileSync(`${dir}deno.json`)) as {
    tasks?: { start?: string };
  };
  const start = config.tasks?.start ?? "";
  const [deno, ...args] = start.trim().split(/\s+/);
  const script = args.pop();
  if (deno !== "deno" || args[0] !== "run" || script !== "main.ts") {
    throw new Error(`unexpected start task in ${dir}deno.json: ${start}`);
  }
  return [...args, ...extraFlags, `${dir}main.ts`];
}
