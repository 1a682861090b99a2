/**
 * The one writer of the catalog (locations, menu items, tables). Every change goes through
 * `#commit`, which in the same atomic op bumps the location's catalog version (so a stale menu
 * can never price an order) and appends the change to the feed (so streams, the mirror and
 * webhooks see it), then drops this process's cached snapshot before answering. No route can
 * forget one of those. Each method takes the acting principal, for the audit log.
 */
import type { Principal } from "../auth/principal.ts";
import { conflict, notFound } from "../errors.ts";
import { appendToFeed, type ChangeData } from "../feed/feed.ts";
import { newId } from "../kv/ids.ts";
import { catalogVersionKey, locationKey, menuItemKey, tableByNumberKey } from "../kv/keys.ts";
import { retryOnConflict } from "../kv/retry.ts";
import type {
  CreateLocationInput,
  CreateMenuItemInput,
  CreateTableInput,
  Location,
  MenuItem,
  Table,
  UpdateMenuItemInput,
  UpdateTableInput,
} from "../schemas.ts";
import type { Catalog } from "./cache.ts";
import { addLocation, newLocation } from "./locations.ts";
import { putMenuItem, readMenuItem } from "./menu.ts";
import { newMenuItem, patchedMenuItem, withOptionAvailability } from "./options.ts";
import {
  addTable,
  newTable,
  newTableToken,
  readTable,
  removeTable,
  replaceTable,
} from "./tables.ts";

/**
 * Adds a catalog change's bookkeeping to `op`: the version bump and the feed entry. For writers
 * that build their own op (the demo seed); everything else goes through `CatalogService`.
 */
export function addCatalogChanges(
  op: Deno.AtomicOperation,
  kv: Deno.Kv,
  locationId: string,
  changes: { others: ChangeData[]; retentionMs: number },
): Deno.AtomicOperation {
  op.set(catalogVersionKey(locationId), newId());
  return appendToFeed(op, kv, locationId, {
    at: new Date().toISOString(),
    retentionMs: changes.retentionMs,
    others: changes.others,
  });
}

/** Who writes, and in which location. */
export interface CatalogScope {
  /** The acting principal (the audit log records it). */
  by: Principal;
  locationId: string;
}

/** Writes locations, menu items and tables. */
export class CatalogService {
  #kv: Deno.Kv;
  #cache: Catalog;
  #retentionMs: number;

  constructor(kv: Deno.Kv, deps: { cache: Catalog; retentionMs: number }) {
    this.#kv = kv;
    this.#cache = deps.cache;
    this.#retentionMs = deps.retentionMs;
  }

  /** Creates a location; a slug already taken is a 409. */
  async createLocation(_by: Principal, input: CreateLocationInput): Promise<Location> {
    const location = newLocation(input);
    const op = addLocation(this.#kv.atomic(), location);
    if (!(await this.#commit(location.id, op, [{ type: "location", location }]))) {
      throw conflict("slug_taken", `A location with slug "${input.slug}" already exists.`);
    }
    return location;
  }

  /** Adds an item to a location's menu. */
  async createMenuItem(
    { locationId }: CatalogScope,
    input: CreateMenuItemInput,
  ): Promise<MenuItem> {
    const item = newMenuItem(newId(), input);
    const location = await this.#kv.get(locationKey(locationId));
    if (!location.versionstamp) throw notFound("Location");
    const op = putMenuItem(this.#kv.atomic().check(location), locationId, item);
    if (!(await this.#commit(locationId, op, [{ type: "menu_item", item, deleted: false }]))) {
      throw notFound("Location");
    }
    return item;
  }

  /**
   * Changes some fields of an item (for example `available: false` to 86 it, or its option
   * groups). Orders already placed keep the names and prices they were placed with.
   */
  async updateMenuItem(
    scope: CatalogScope,
    itemId: string,
    patch: UpdateMenuItemInput,
  ): Promise<MenuItem> {
    return await this.#changeItem(scope, itemId, (item) => patchedMenuItem(item, patch));
  }

  /** 86es (or brings back) one option of an item; an id the item does not have is a 404. */
  async setOptionAvailability(
    scope: CatalogScope,
    ref: { itemId: string; optionId: string },
    available: boolean,
  ): Promise<MenuItem> {
    return await this.#changeItem(scope, ref.itemId, (item) => {
      const changed = withOptionAvailability(item, ref.optionId, available);
      if (!changed) throw notFound("Option");
      return changed;
    });
  }

  /** Reads an item, changes it with `change` and commits it checked against what it read. */
  async #changeItem(
    { locationId }: CatalogScope,
    itemId: string,
    change: (item: MenuItem) => MenuItem,
  ): Promise<MenuItem> {
    return await retryOnConflict(async () => {
      const entry = await readMenuItem(this.#kv, locationId, itemId);
      if (!entry.versionstamp) throw notFound("Menu item");
      const item = change(entry.value);
      const op = putMenuItem(this.#kv.atomic().check(entry), locationId, item);
      const ok = await this.#commit(locationId, op, [{ type: "menu_item", item, deleted: false }]);
      return ok ? item : null;
    });
  }

  /** Removes an item from the menu. Orders already placed keep its name and price. */
  async deleteMenuItem({ locationId }: CatalogScope, itemId: string): Promise<void> {
    await retryOnConflict(async () => {
      const entry = await readMenuItem(this.#kv, locationId, itemId);
      if (!entry.versionstamp) throw notFound("Menu item");
      const op = this.#kv.atomic().check(entry).delete(menuItemKey(locationId, itemId));
      const item = entry.value;
      return await this.#commit(locationId, op, [{ type: "menu_item", item, deleted: true }])
        ? true
        : null;
    });
  }

  /** Adds a table; a number already used in the location is a 409. */
  async createTable({ locationId }: CatalogScope, input: CreateTableInput): Promise<Table> {
    const table = newTable(locationId, input);
    const location = await this.#kv.get(locationKey(locationId));
    if (!location.versionstamp) throw notFound("Location");
    const op = addTable(
      this.#kv.atomic()
        .check(location)
        .check({ key: tableByNumberKey(locationId, table.number), versionstamp: null }),
      table,
    );
    if (!(await this.#commit(locationId, op, [{ type: "table", table, deleted: false }]))) {
      throw duplicateNumber(table.number);
    }
    return table;
  }

  /** Changes a table's number, seats or status, or rotates its QR token. */
  async updateTable(
    { locationId }: CatalogScope,
    tableId: string,
    patch: UpdateTableInput,
  ): Promise<Table> {
    return await retryOnConflict(async () => {
      const entry = await readTable(this.#kv, locationId, tableId);
      if (!entry.versionstamp) throw notFound("Table");
      const before = entry.value;
      const table: Table = {
        ...before,
        number: patch.number ?? before.number,
        seats: patch.seats ?? before.seats,
        status: patch.status ?? before.status,
        token: patch.rotateToken ? newTableToken() : before.token,
      };
      const op = this.#kv.atomic().check(entry);
      if (table.number !== before.number) {
        const taken = await this.#kv.get(tableByNumberKey(locationId, table.number));
        if (taken.versionstamp) throw duplicateNumber(table.number);
        op.check(taken);
      }
      replaceTable(op, before, table);
      const ok = await this.#commit(locationId, op, [{ type: "table", table, deleted: false }]);
      return ok ? table : null;
    });
  }

  /** Removes a table; its QR token stops working at once. Its orders stay. */
  async deleteTable({ locationId }: CatalogScope, tableId: string): Promise<void> {
    await retryOnConflict(async () => {
      const entry = await readTable(this.#kv, locationId, tableId);
      if (!entry.versionstamp) throw notFound("Table");
      const table = entry.value;
      const op = removeTable(this.#kv.atomic().check(entry), table);
      return await this.#commit(locationId, op, [{ type: "table", table, deleted: true }])
        ? true
        : null;
    });
  }

  /** Commits a catalog change with its bookkeeping; false when a check failed. */
  async #commit(
    locationId: string,
    op: Deno.AtomicOperation,
    others: ChangeData[],
  ): Promise<boolean> {
    addCatalogChanges(op, this.#kv, locationId, { others, retentionMs: this.#retentionMs });
    const result = await op.commit();
    if (result.ok) this.#cache.invalidate(locationId);
    return result.ok;
  }
}

function duplicateNumber(number: number) {
  return conflict(
    "duplicate_table_number",
    `Table number ${number} is already used in this location.`,
  );
}
