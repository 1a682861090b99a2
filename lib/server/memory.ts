/**
 * Giving memory back to the system after many event streams close. An idle stream holds about
 * 60 KB in Deno's HTTP layer (BENCHMARKS.md); glibc's malloc keeps what they free in its arenas,
 * so without help the process stays at its peak RSS after the streams are gone (5,000 closed
 * streams: 331 MB kept). `malloc_trim(0)` hands the free pages back (the same 5,000: 99 MB).
 *
 * Linux with glibc only, through FFI (`--allow-ffi`, which `deno task start`'s `-A` grants); on
 * Deno Deploy, musl, macOS or without the permission it does nothing. The trim runs on a thread
 * of its own (`nonblocking`), so the event loop keeps serving while it walks the heap.
 */

/** How often the count of ended streams is looked at. */
const CHECK_MS = 5_000;
/** How many streams must have ended since the last trim (or the start) for another. */
const ENDED_BEFORE_TRIM = 64;

/** A way to trim the heap, and to let go of it. */
export interface Trimmer {
  trim(): Promise<unknown>;
  close(): void;
}

/** glibc's `malloc_trim`, when this process may and can call it. */
function openTrimmer(): Trimmer | null {
  if (Deno.build.os !== "linux" || typeof Deno.dlopen !== "function") return null;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    const libc = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32", nonblocking: true },
    });
    return { trim: () => libc.symbols.malloc_trim(0n), close: () => libc.close() };
  } catch {
    return null; // not glibc (musl has no libc.so.6), or FFI unavailable
  }
}

/** Trims the heap after many streams have ended. */
export interface MemoryReturn {
  /** Trims done so far. */
  readonly trims: number;
  /** Whether trimming is possible in this process at all. */
  readonly enabled: boolean;
  /** Stops looking, waits for a trim under way, lets go of the library. */
  stop(): Promise<void>;
}

/**
 * Looks at `ended` (how many streams have ended so far) every few seconds and trims once at
 * least 64 more have ended since the last trim: cheap when nothing changes, and at most one trim
 * per look however many streams close.
 */
export function returnMemoryAfterStreams(
  ended: () => number,
  options: { trimmer?: Trimmer | null; checkMs?: number; endedBeforeTrim?: number } = {},
): MemoryReturn {
  const trimmer = options.trimmer === undefined ? openTrimmer() : options.trimmer;
  const endedBeforeTrim = options.endedBeforeTrim ?? ENDED_BEFORE_TRIM;
  let trims = 0;
  let last = ended();
  let running: Promise<void> | null = null;
  const timer = trimmer
    ? setInterval(() => {
      const now = ended();
      if (running || now - last < endedBeforeTrim) return;
      last = now;
      running = trimmer.trim().then(() => void trims++, () => {}).finally(() => running = null);
    }, options.checkMs ?? CHECK_MS)
    : undefined;
  if (timer !== undefined) Deno.unrefTimer(timer);
  return {
    get trims() {
      return trims;
    },
    enabled: trimmer !== null,
    async stop() {
      clearInterval(timer);
      await running;
      trimmer?.close();
    },
  };
}
