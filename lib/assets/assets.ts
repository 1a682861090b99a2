/**
 * The files pages load: the page bundles (`bundle.ts`) and the style sheet (`static/`), each
 * under a content-hashed name, so it is served with a year-long immutable cache and a new
 * version is a new URL. Bodies are compressed once (brotli, gzip) when first asked for.
 *
 * Built in memory at start by default; `deno task build` writes a build to a folder that
 * `SEATSERVE_ASSETS_DIR` then serves as is (Deno Deploy runs no esbuild at start).
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { buildBundle, type Bundle, PAGE_KINDS, type PageKind } from "./bundle.ts";

/** One file as served. */
export interface Asset {
  name: string;
  type: string;
  bytes: Uint8Array<ArrayBuffer>;
  etag: string;
}

/** What a page needs to link: its script and the style sheet, by URL. */
export interface PageAssets {
  script: string;
  styles: string;
}

const STATIC_DIR = fileURLToPath(new URL("../../static/", import.meta.url));
const MANIFEST = "manifest.json";

/** The served files of this process. */
export class Assets {
  readonly #files = new Map<string, Asset>();
  readonly #entries: Record<PageKind, string>;
  readonly #styles: string;

  constructor(bundle: Bundle, styles: Uint8Array) {
    for (const file of bundle.files) this.#add(file.name, file.bytes);
    this.#entries = bundle.entries;
    this.#styles = this.#add(`styles-${hashOf(styles).slice(0, 10)}.css`, styles).name;
  }

  /** The URLs a page of `kind` links. */
  page(kind: PageKind): PageAssets {
    return { script: `/assets/${this.#entries[kind]}`, styles: `/assets/${this.#styles}` };
  }

  /** A file by its hashed name, or undefined. */
  get(name: string): Asset | undefined {
    return this.#files.get(name);
  }

  /** Every file's name (for the build task and tests). */
  get names(): string[] {
    return [...this.#files.keys()];
  }

  #add(name: string, bytes: Uint8Array): Asset {
    const asset: Asset = {
      name,
      type: name.endsWith(".css") ? "text/css; charset=UTF-8" : "text/javascript; charset=UTF-8",
      bytes: new Uint8Array(bytes),
      etag: `"${hashOf(bytes).slice(0, 24)}"`,
    };
    this.#files.set(name, asset);
    return asset;
  }
}

const loaded = new Map<string, Promise<Assets>>();

/**
 * The assets of this process, loaded once (every service graph of the process shares them):
 * read from `prebuiltDir` when given (a `deno task build` output), else built now.
 */
export function sharedAssets(prebuiltDir: string | null): Promise<Assets> {
  const key = prebuiltDir ?? "";
  let assets = loaded.get(key);
  if (!assets) {
    assets = loadAssets(prebuiltDir);
    loaded.set(key, assets);
    assets.catch(() => loaded.delete(key));
  }
  return assets;
}

/** The assets: read from `prebuiltDir` when given (a `deno task build` output), else built now. */
export async function loadAssets(prebuiltDir: string | null): Promise<Assets> {
  const styles = await Deno.readFile(`${STATIC_DIR}styles.css`);
  if (!prebuiltDir) return new Assets(await buildBundle(), styles);
  let manifest: { entries: Record<PageKind, string>; files: string[] };
  try {
    manifest = JSON.parse(await Deno.readTextFile(`${prebuiltDir}/${MANIFEST}`));
  } catch (error) {
    throw new Error(
      `SEATSERVE_ASSETS_DIR=${prebuiltDir} holds no build (${error}); run \`deno task build\``,
    );
  }
  const missing = PAGE_KINDS.filter((kind) => !manifest.entries[kind]);
  if (missing.length) {
    throw new Error(`${prebuiltDir}: the build has no ${missing.join(", ")} page`);
  }
  const files = await Promise.all(manifest.files.map(async (name) => ({
    name,
    bytes: await Deno.readFile(`${prebuiltDir}/${name}`),
  })));
  return new Assets({ files, entries: manifest.entries }, styles);
}

/** Writes a build to `dir` for `SEATSERVE_ASSETS_DIR`; returns the files written. */
export async function writeBuild(dir: string): Promise<string[]> {
  const bundle = await buildBundle();
  await Deno.mkdir(dir, { recursive: true });
  for (const file of bundle.files) await Deno.writeFile(`${dir}/${file.name}`, file.bytes);
  const names = bundle.files.map((f) => f.name);
  await Deno.writeTextFile(
    `${dir}/${MANIFEST}`,
    JSON.stringify({ entries: bundle.entries, files: names }, null, 2) + "\n",
  );
  return names;
}

function hashOf(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
