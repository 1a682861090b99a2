/**
 * The in-memory catalog cache: each location's menu and tables, served from memory on the hot path
 * (ordering, `GET /menu`). A snapshot is tagged with the versionstamp of the location's catalog
 * version key; writers bump that key in the same commit, and this process learns of it three ways:
 * its one writer (`service.ts`) calls `invalidate` before answering, a `kv.watch` per location catches other
 * processes, and order commits check the versionstamp so a stale snapshot can never price an order.
 */
import { catalogVersionKey } from "../kv/keys.ts";
import { getLocation, getLocationBySlug } from "./locations.ts";
import { listMenuItems } from "./menu.ts";
import type { Location, MenuItem, Table } from "../schemas.ts";
import { negotiateLanguage, offeredLanguages } from "./i18n.ts";
import {
  type EncodedMenu,
  encodeMenu,
  filterKey,
  isEmptyFilter,
  type MenuFilter,
  menuView,
} from "./menu_view.ts";
import { findTableRef, listTables } from "./tables.ts";
import { DEFAULT_SETTINGS, getSettings, type Settings } from "../kitchen/settings.ts";

/** Filtered menus a snapshot keeps encoded besides one per language; older ones are dropped. */
const MAX_FILTERED_MENUS = 64;
/** Language choices (by `?lang=` and `Accept-Language`) a snapshot remembers. */
const MAX_LANGUAGE_CHOICES = 256;
/** Longest `?lang=` and `Accept-Language` pair whose choice is remembered. */
const MAX_CHOICE_KEY = 200;

/**
 * One location's catalog at one version; what it holds never changes. The menu is encoded once
 * per language when the snapshot is built, and once per filter when first asked for (a bounded
 * number of those, kept with the snapshot and dropped with it).
 */
export class CatalogSnapshot {
  /** The location, with `languages` as offered (its default first). */
  readonly location: Location;
  /** Versionstamp of the catalog version key this was read at. */
  readonly versionstamp: string | null;
  /** The items by id. */
  readonly items: ReadonlyMap<string, MenuItem>;
  /** The items in menu (creation) order. */
  readonly itemList: readonly MenuItem[];
  readonly tablesByToken: ReadonlyMap<string, Table>;
  /** The location's kitchen and floor settings at this version. */
  readonly settings: Settings;
  #menus = new Map<string, EncodedMenu>();
  #filtered = new Map<string, EncodedMenu>();
  #choices = new Map<string, string>();

  constructor(
    location: Location,
    versionstamp: string | null,
    catalog: { items: readonly MenuItem[]; tables: readonly Table[]; settings?: Settings },
  ) {
    this.settings = catalog.settings ?? DEFAULT_SETTINGS;
    this.location = {
      ...location,
      languages: offeredLanguages(location.defaultLanguage, location.languages),
    };
    this.versionstamp = versionstamp;
    this.itemList = catalog.items;
    this.items = new Map(catalog.items.map((item) => [item.id, item]));
    this.tablesByToken = new Map(catalog.tables.map((table) => [table.token, table]));
    for (const lang of this.location.languages) {
      this.#menus.set(lang, encodeMenu(menuView(this.location, this.itemList, { lang })));
    }
  }

  /** The languages the menu is offered in, the default first. */
  get languages(): readonly string[] {
    return this.location.languages;
  }

  /** The menu in the default language, unfiltered. */
  get defaultMenu(): EncodedMenu {
    return this.#menus.get(this.location.languages[0])!;
  }

  /** The menu in `lang` (one of `languages`; else the default), filtered when asked. */
  menu(lang: string, filter?: MenuFilter): EncodedMenu {
    const unfiltered = this.#menus.get(lang) ?? this.defaultMenu;
    if (isEmptyFilter(filter)) return unfiltered;
    const key = `${unfiltered.lang}|${filterKey(filter)}`;
    let menu = this.#filtered.get(key);
    if (!menu) {
      menu = encodeMenu(
        menuView(this.location, this.itemList, { lang: unfiltered.lang, filter }),
      );
      if (this.#filtered.size >= MAX_FILTERED_MENUS) {
        this.#filtered.delete(this.#filtered.keys().next().value!);
      }
      this.#filtered.set(key, menu);
    }
    return menu;
  }

  /** The language to answer in: `?lang=`, then `Accept-Language`, then the default. */
  language(query: string | undefined, acceptLanguage: string | undefined): string {
    if (!query && !acceptLanguage) return this.location.languages[0];
    const key = `${query ?? ""}\n${acceptLanguage ?? ""}`;
    let lang = this.#choices.get(key);
    if (!lang) {
      lang = negotiateLanguage(this.location.languages, { query, acceptLanguage });
      if (key.length > MAX_CHOICE_KEY) return lang; // odd headers are not worth keeping
      if (this.#choices.size >= MAX_LANGUAGE_CHOICES) {
        this.#choices.delete(this.#choices.keys().next().value!);
      }
      this.#choices.set(key, lang);
    }
    return lang;
  }
}

/** The process-wide catalog cache. */
export class Catalog {
  #kv: Deno.Kv;
  #snapshots = new Map<string, CatalogSnapshot>();
  #loading = new Map<string, Promise<CatalogSnapshot | null>>();
  #watches = new Map<string, ReadableStream<Deno.KvEntryMaybe<unknown>[]>>();
  #tokenToLocation = new Map<string, string>();
  #slugToLocation = new Map<string, string>();
  /** Bumped by every invalidation, so a load that raced a write does not store what it read. */
  #generations = new Map<string, number>();
  #listeners = new Set<(locationId: string) => void>();
  /** The catalog version the latest load of each location started reading at. */
  #reading = new Map<string, string | null>();
  #closed = false;

  #revalidate: boolean;

  /**
   * `revalidate`: re-read the version key on every `get`, for stores that other instances write
   * (their watch notification may come after their edit was acknowledged to a client).
   */
  constructor(kv: Deno.Kv, options: { revalidate?: boolean } = {}) {
    this.#kv = kv;
    this.#revalidate = options.revalidate ?? false;
  }

  /** The current snapshot of a location, loading it when needed; null when no such location. */
  async get(locationId: string): Promise<CatalogSnapshot | null> {
    const cached = this.#snapshots.get(locationId);
    if (cached && this.#revalidate) {
      const version = await this.#kv.get(catalogVersionKey(locationId));
      if (version.versionstamp === cached.versionstamp) return cached;
      this.invalidate(locationId);
      return await this.#load(locationId);
    }
    return cached ?? await this.#load(locationId);
  }

  /** Whether `snapshot` is the one held for its location now (no change seen since). */
  isCurrent(snapshot: CatalogSnapshot): boolean {
    return this.#snapshots.get(snapshot.location.id) === snapshot;
  }

  /** The snapshot held for a location, if one is (no load, no revalidation). */
  peek(locationId: string): CatalogSnapshot | undefined {
    return this.#snapshots.get(locationId);
  }

  /** A location's snapshot by slug (slugs never change, so the mapping is kept), or null. */
  async findBySlug(slug: string): Promise<CatalogSnapshot | null> {
    let locationId = this.#slugToLocation.get(slug);
    if (!locationId) {
      const location = await getLocationBySlug(this.#kv, slug);
      if (!location) return null;
      locationId = location.id;
      this.#slugToLocation.set(slug, locationId);
    }
    return await this.get(locationId);
  }

  /** `findByToken` answered from memory: undefined when the token's location is not loaded. */
  peekTable(token: string): { snapshot: CatalogSnapshot; table: Table } | undefined {
    const locationId = this.#tokenToLocation.get(token);
    const snapshot = locationId ? this.#snapshots.get(locationId) : undefined;
    const table = snapshot?.tablesByToken.get(token);
    return snapshot && table ? { snapshot, table } : undefined;
  }

  /** The table holding a QR token and its location's snapshot, or null for an unknown token. */
  async findByToken(token: string): Promise<{ snapshot: CatalogSnapshot; table: Table } | null> {
    let locationId = this.#tokenToLocation.get(token);
    if (!locationId) {
      const ref = await findTableRef(this.#kv, token);
      if (!ref) return null;
      locationId = ref.locationId;
    }
    const snapshot = await this.get(locationId);
    const table = snapshot?.tablesByToken.get(token);
    return snapshot && table ? { snapshot, table } : null;
  }

  /**
   * Drops a location's snapshot; the next read loads it afresh. Call after every catalog write.
   * Tells every `onChange` listener.
   */
  invalidate(locationId: string): void {
    this.#generations.set(locationId, (this.#generations.get(locationId) ?? 0) + 1);
    this.#loading.delete(locationId);
    const old = this.#snapshots.get(locationId);
    this.#snapshots.delete(locationId);
    if (old) { for (const token of old.tablesByToken.keys()) this.#tokenToLocation.delete(token); }
    this.#notify(locationId);
  }

  /**
   * Calls `listener` with a location's id whenever its catalog may have changed (a write here,
   * or one in another process seen by this cache's one watch of that location). Returns the
   * function that stops it.
   */
  onChange(listener: (locationId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many locations this cache watches (one `kv.watch` each). */
  get watchCount(): number {
    return this.#watches.size;
  }

  /** Stops the watches. */
  close(): void {
    this.#closed = true;
    for (const stream of this.#watches.values()) stream.cancel().catch(() => {});
    this.#watches.clear();
  }

  #load(locationId: string): Promise<CatalogSnapshot | null> {
    let loading = this.#loading.get(locationId);
    if (!loading) {
      const started = loading = this.#read(locationId).finally(() => {
        if (this.#loading.get(locationId) === started) this.#loading.delete(locationId);
      });
      this.#loading.set(locationId, loading);
    }
    return loading;
  }

  async #read(locationId: string): Promise<CatalogSnapshot | null> {
    // Items and tables are listed between two reads of the version key; if it moved, read again,
    // so the snapshot is exactly the catalog at `versionstamp`.
    const generation = this.#generations.get(locationId) ?? 0;
    for (;;) {
      const before = await this.#kv.get(catalogVersionKey(locationId));
      this.#reading.set(locationId, before.versionstamp);
      const [location, items, tables, settings] = await Promise.all([
        getLocation(this.#kv, locationId),
        listMenuItems(this.#kv, locationId),
        listTables(this.#kv, locationId),
        getSettings(this.#kv, locationId),
      ]);
      if (!location) return null;
      const after = await this.#kv.get(catalogVersionKey(locationId));
      if (after.versionstamp !== before.versionstamp) continue;
      const snapshot = new CatalogSnapshot(location, after.versionstamp, {
        items,
        tables,
        settings,
      });
      if (!this.#closed && generation === (this.#generations.get(locationId) ?? 0)) {
        const old = this.#snapshots.get(locationId);
        if (old) {
          for (const token of old.tablesByToken.keys()) this.#tokenToLocation.delete(token);
        }
        this.#snapshots.set(locationId, snapshot);
        for (const token of snapshot.tablesByToken.keys()) {
          this.#tokenToLocation.set(token, locationId);
        }
        this.#watch(locationId);
      }
      return snapshot;
    }
  }

  #watch(locationId: string): void {
    if (this.#watches.has(locationId)) return;
    const stream = this.#kv.watch([catalogVersionKey(locationId)]);
    this.#watches.set(locationId, stream);
    (async () => {
      let last: string | null | undefined; // the first notification is the key as it is
      try {
        for await (const [{ versionstamp }] of stream) {
          // Fresh: the snapshot held is at this version, or, with none held, the load under
          // way read the catalog at it. Otherwise a load under way may have read the catalog
          // before this change: invalidating makes it not keep what it read.
          const current = this.#snapshots.get(locationId);
          const fresh = current
            ? current.versionstamp === versionstamp
            : this.#loading.has(locationId) && this.#reading.get(locationId) === versionstamp;
          if (!fresh) this.invalidate(locationId);
          else if (last !== undefined && versionstamp !== last) this.#notify(locationId);
          last = versionstamp;
        }
      } catch {
        // The store closed; nothing more to watch.
      }
    })();
  }

  #notify(locationId: string): void {
    for (const listener of this.#listeners) listener(locationId);
  }
}
