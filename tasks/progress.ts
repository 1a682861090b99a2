/** A progress bar on stderr for the command-line tasks (a line every second when not a terminal). */
import cliProgress from "cli-progress";

/** A bar counting bytes; `update(done, total)` moves it, `stop()` ends its line. */
export function progressBar(label: string): {
  update(done: number, total: number): void;
  stop(): void;
} {
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% {value}/{total} MB`,
    stream: process.stderr,
    noTTYOutput: true,
    notTTYSchedule: 1000,
    hideCursor: false,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
  return {
    update(done, total) {
      if (!started) {
        started = true;
        bar.start(mb(total), mb(done));
      } else {
        bar.setTotal(mb(total));
        bar.update(mb(done));
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** A path given on the command line, relative to where `deno task` was started. */
export function argPath(path: string): string {
  const cwd = Deno.env.get("INIT_CWD");
  return path.startsWith("/") || !cwd ? path : `${cwd.replace(/\/+$/, "")}/${path}`;
}
