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
import type { Location, Menu, MenuItem, Table } from "../schemas.ts";
import { findTableRef, listTables } from "./tables.ts";

/** One location's catalog at one version. Treat as immutable. */
export interface CatalogSnapshot {
  location: Location;
  /** Versionstamp of the catalog version key this was read at. */
  versionstamp: string | null;
  items: ReadonlyMap<string, MenuItem>;
  tablesByToken: ReadonlyMap<string, Table>;
  /** The `GET /menu` body, serialized once. */
  menuJson: string;
  /** Strong ETag of `menuJson`. */
  menuEtag: string;
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

  /** Drops a location's snapshot; the next read loads it afresh. Call after every catalog write. */
  invalidate(locationId: string): void {
    this.#generations.set(locationId, (this.#generations.get(locationId) ?? 0) + 1);
    this.#loading.delete(locationId);
    const old = this.#snapshots.get(locationId);
    this.#snapshots.delete(locationId);
    if (old) { for (const token of old.tablesByToken.keys()) this.#tokenToLocation.delete(token); }
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
      const [location, items, tables] = await Promise.all([
        getLocation(this.#kv, locationId),
        listMenuItems(this.#kv, locationId),
        listTables(this.#kv, locationId),
      ]);
      if (!location) return null;
      const after = await this.#kv.get(catalogVersionKey(locationId));
      if (after.versionstamp !== before.versionstamp) continue;
      const snapshot = await buildSnapshot(location, after.versionstamp, items, tables);
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
      try {
        for await (const [entry] of stream) {
          const current = this.#snapshots.get(locationId);
          if (current && current.versionstamp !== entry.versionstamp) this.invalidate(locationId);
        }
      } catch {
        // The store closed; nothing more to watch.
      }
    })();
  }
}

/** Builds a snapshot: indexes and the serialized menu. */
export async function buildSnapshot(
  location: Location,
  versionstamp: string | null,
  items: MenuItem[],
  tables: Table[],
): Promise<CatalogSnapshot> {
  const menu = menuOf(location, items);
  const menuJson = JSON.stringify(menu);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(menuJson));
  const hash = Array.from(
    new Uint8Array(digest).slice(0, 12),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return {
    location,
    versionstamp,
    items: new Map(items.map((item) => [item.id, item])),
    tablesByToken: new Map(tables.map((table) => [table.token, table])),
    menuJson,
    menuEtag: `"${hash}"`,
  };
}

/** The guest-facing menu: categories in order of their first item, items in creation order. */
export function menuOf(location: Location, items: MenuItem[]): Menu {
  const categories = new Map<string, string[]>();
  for (const item of items) {
    const ids = categories.get(item.category) ?? [];
    ids.push(item.id);
    categories.set(item.category, ids);
  }
  return {
    location: {
      id: location.id,
      slug: location.slug,
      name: location.name,
      currency: location.currency,
    },
    categories: [...categories].map(([name, itemIds]) => ({ name, itemIds })),
    items,
  };
}
