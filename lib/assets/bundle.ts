/**
 * The browser bundles of the pages: one entry per page kind (`islands/entries/<kind>.ts`), built
 * with esbuild into content-hashed ES modules (code shared by several kinds, Preact first of all,
 * split into chunks of its own), minified. Preact is the very copy the server renders with: a
 * small resolve plugin maps `preact`, `preact/*` and the typed client's `openapi-fetch` to the
 * files Deno loaded for this process, and refuses any other package.
 */
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
// Loaded here so that `import.meta.resolve` below names files that are in Deno's cache.
import "preact";
import "preact/hooks";
import "preact/jsx-runtime";
import "openapi-fetch";
import "uplot";

/** The page kinds, each with its entry module under `islands/entries/`. */
export const PAGE_KINDS = [
  "guest",
  "kitchen",
  "floor",
  "menu_editor",
  "analytics",
  "admin",
] as const;
export type PageKind = typeof PAGE_KINDS[number];

/** One output file of a build. */
export interface BuiltFile {
  /** Its name under `/assets/`, with its content hash. */
  name: string;
  bytes: Uint8Array;
}

/** A build: every output file, and each page kind's entry file name. */
export interface Bundle {
  files: BuiltFile[];
  entries: Record<PageKind, string>;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The npm modules islands may import (each loaded above, so Deno's cache has it). */
const BROWSER_MODULES = [
  "preact",
  "preact/hooks",
  "preact/jsx-runtime",
  "openapi-fetch",
  "uplot",
];

const npmFromDeno: esbuild.Plugin = {
  name: "npm-from-deno",
  setup(build) {
    // Bare specifiers (not ./, ../ or /): only the allowed ones, as the files Deno loaded.
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (!BROWSER_MODULES.includes(args.path)) {
        return { errors: [{ text: `islands may import only ${BROWSER_MODULES.join(", ")}` }] };
      }
      const path = fileURLToPath(import.meta.resolve(args.path));
      // Deno resolves uPlot to its CommonJS build; the browser gets its ES module beside it.
      return {
        path: args.path === "uplot" ? path.replace(/uPlot\.cjs\.js$/, "uPlot.esm.js") : path,
      };
    });
  },
};

/** Builds every page kind's bundle in memory. */
export async function buildBundle(): Promise<Bundle> {
  try {
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: Object.fromEntries(
        PAGE_KINDS.map((kind) => [kind, `islands/entries/${kind}.ts`]),
      ),
      bundle: true,
      splitting: true,
      format: "esm",
      target: ["es2020", "chrome90", "safari15", "firefox90"],
      minify: true,
      write: false,
      outdir: "out",
      entryNames: "[name]-[hash]",
      chunkNames: "chunk-[hash]",
      jsx: "automatic",
      jsxImportSource: "preact",
      legalComments: "none",
      metafile: true,
      logLevel: "silent",
      plugins: [npmFromDeno],
    });
    const entries = {} as Record<PageKind, string>;
    for (const [path, output] of Object.entries(result.metafile.outputs)) {
      const kind = output.entryPoint?.match(/islands\/entries\/(\w+)\.ts$/)?.[1] as PageKind;
      if (kind) entries[kind] = path.replace(/^out\//, "");
    }
    return {
      files: result.outputFiles.map((file) => ({
        name: file.path.slice(file.path.lastIndexOf("/") + 1),
        bytes: file.contents,
      })),
      entries,
    };
  } finally {
    await esbuild.stop();
  }
}
