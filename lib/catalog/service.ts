/**
 * The one writer of the catalog (locations, menu items, tables). Every change goes through
 * `#commit`, which in the same atomic op bumps the location's catalog version (so a stale menu
 * can never price an order) and appends the change to the feed (so streams, the mirror and
 * webhooks see it), then drops this process's cached snapshot before answering. No route can
 * forget one of those. Each method takes the acting principal, for the audit log.
 */
import type { Principal } from "../auth/principal.ts";
import {
  addAuditEntry,
  auditChange,
  auditContext,
  type AuditEvent,
  newAuditEntry,
} from "../audit/entry.ts";
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
  UpdateLocationInput,
  UpdateMenuItemInput,
  UpdateTableInput,
} from "../schemas.ts";
import type { Catalog } from "./cache.ts";
import { addLocation, changedLocation, newLocation, normalized } from "./locations.ts";
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

/** Who writes, in which request (both for the audit log). */
export interface ActorScope {
  /** The acting principal. */
  by: Principal;
  /** The request's id (`X-Request-Id`). */
  requestId: string;
}

/** Who writes, in which request, and in which location. */
export interface CatalogScope extends ActorScope {
  locationId: string;
}

/** Writes locations, menu items and tables. */
export class CatalogService {
  #kv: Deno.Kv;
  #cache: Catalog;
  #retentionMs: number;
  #auditRetentionMs: number;

  constructor(
    kv: Deno.Kv,
    deps: { cache: Catalog; retentionMs: number; auditRetentionMs: number },
  ) {
    this.#kv = kv;
    this.#cache = deps.cache;
    this.#retentionMs = deps.retentionMs;
    this.#auditRetentionMs = deps.auditRetentionMs;
  }

  /** Creates a location; a slug already taken is a 409. */
  async createLocation(scope: ActorScope, input: CreateLocationInput): Promise<Location> {
    const location = newLocation(input);
    const op = addLocation(this.#kv.atomic(), location);
    const event = {
      action: "location.create",
      target: { type: "location", id: location.id },
      after: { slug: location.slug, name: location.name, currency: location.currency },
    };
    const change = { scope: { ...scope, locationId: location.id }, event };
    if (!(await this.#commit(change, op, [{ type: "location", location }]))) {
      throw conflict("slug_taken", `A location with slug "${input.slug}" already exists.`);
    }
    return location;
  }

  /**
   * Changes a location's name or the languages its menu is offered in. Its slug, currency and
   * default language stay: links, prices and the items' own texts depend on them.
   */
  async updateLocation(scope: CatalogScope, patch: UpdateLocationInput): Promise<Location> {
    const { locationId } = scope;
    return await retryOnConflict(async () => {
      const entry = await this.#kv.get<Location>(locationKey(locationId));
      if (!entry.versionstamp) throw notFound("Location");
      const before = normalized(entry.value)!;
      const location = changedLocation(before, patch);
      const op = this.#kv.atomic().check(entry).set(locationKey(locationId), location);
      const event = {
        action: "location.update",
        target: { type: "location", id: locationId },
        before: { name: before.name, languages: before.languages },
        after: { name: location.name, languages: location.languages },
      };
      const ok = await this.#commit({ scope, event }, op, [{ type: "location", location }]);
      return ok ? location : null;
    });
  }

  /** Adds an item to a location's menu. */
  async createMenuItem(scope: CatalogScope, input: CreateMenuItemInput): Promise<MenuItem> {
    const { locationId } = scope;
    const item = newMenuItem(newId(), input);
    const location = await this.#kv.get(locationKey(locationId));
    if (!location.versionstamp) throw notFound("Location");
    const op = putMenuItem(this.#kv.atomic().check(location), locationId, item);
    const event = { action: "menu_item.create", target: menuTarget(item), after: item };
    const change = { scope, event };
    if (!(await this.#commit(change, op, [{ type: "menu_item", item, deleted: false }]))) {
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
    return await this.#changeItem(
      scope,
      { itemId, action: "menu_item.update" },
      (item) => patchedMenuItem(item, patch),
    );
  }

  /** 86es (or brings back) one option of an item; an id the item does not have is a 404. */
  async setOptionAvailability(
    scope: CatalogScope,
    ref: { itemId: string; optionId: string },
    available: boolean,
  ): Promise<MenuItem> {
    const target = { itemId: ref.itemId, action: "menu_item.option_availability" };
    return await this.#changeItem(scope, target, (item) => {
      const changed = withOptionAvailability(item, ref.optionId, available);
      if (!changed) throw notFound("Option");
      return changed;
    });
  }

  /** Reads an item, changes it with `change` and commits it checked against what it read. */
  async #changeItem(
    scope: CatalogScope,
    ref: { itemId: string; action: string },
    change: (item: MenuItem) => MenuItem,
  ): Promise<MenuItem> {
    const { locationId } = scope;
    return await retryOnConflict(async () => {
      const entry = await readMenuItem(this.#kv, locationId, ref.itemId);
      if (!entry.versionstamp) throw notFound("Menu item");
      const item = change(entry.value);
      const op = putMenuItem(this.#kv.atomic().check(entry), locationId, item);
      const event = {
        action: ref.action,
        target: menuTarget(item),
        before: entry.value,
        after: item,
      };
      const ok = await this.#commit({ scope, event }, op, [
        { type: "menu_item", item, deleted: false },
      ]);
      return ok ? item : null;
    });
  }

  /** Removes an item from the menu. Orders already placed keep its name and price. */
  async deleteMenuItem(scope: CatalogScope, itemId: string): Promise<void> {
    const { locationId } = scope;
    await retryOnConflict(async () => {
      const entry = await readMenuItem(this.#kv, locationId, itemId);
      if (!entry.versionstamp) throw notFound("Menu item");
      const op = this.#kv.atomic().check(entry).delete(menuItemKey(locationId, itemId));
      const item = entry.value;
      const event = { action: "menu_item.delete", target: menuTarget(item), before: item };
      return await this.#commit({ scope, event }, op, [
          { type: "menu_item", item, deleted: true },
        ])
        ? true
        : null;
    });
  }

  /** Adds a table; a number already used in the location is a 409. */
  async createTable(scope: CatalogScope, input: CreateTableInput): Promise<Table> {
    const { locationId } = scope;
    const table = newTable(locationId, input);
    const location = await this.#kv.get(locationKey(locationId));
    if (!location.versionstamp) throw notFound("Location");
    const op = addTable(
      this.#kv.atomic()
        .check(location)
        .check({ key: tableByNumberKey(locationId, table.number), versionstamp: null }),
      table,
    );
    const event = { action: "table.create", target: tableTarget(table), after: tableFacts(table) };
    if (!(await this.#commit({ scope, event }, op, [{ type: "table", table, deleted: false }]))) {
      throw duplicateNumber(table.number);
    }
    return table;
  }

  /** Changes a table's number, seats or status, or rotates its QR token. */
  async updateTable(
    scope: CatalogScope,
    tableId: string,
    patch: UpdateTableInput,
  ): Promise<Table> {
    const { locationId } = scope;
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
      const event = {
        action: patch.rotateToken ? "table.rotate_token" : "table.update",
        target: tableTarget(table),
        before: tableFacts(before),
        after: tableFacts(table),
      };
      const ok = await this.#commit({ scope, event }, op, [
        { type: "table", table, deleted: false },
      ]);
      return ok ? table : null;
    });
  }

  /** Removes a table; its QR token stops working at once. Its orders stay. */
  async deleteTable(scope: CatalogScope, tableId: string): Promise<void> {
    await retryOnConflict(async () => {
      const entry = await readTable(this.#kv, scope.locationId, tableId);
      if (!entry.versionstamp) throw notFound("Table");
      const table = entry.value;
      const op = removeTable(this.#kv.atomic().check(entry), table);
      const event = {
        action: "table.delete",
        target: tableTarget(table),
        before: tableFacts(table),
      };
      return await this.#commit({ scope, event }, op, [{ type: "table", table, deleted: true }])
        ? true
        : null;
    });
  }

  /** Commits a catalog change with its bookkeeping and audit entry; false when a check failed. */
  async #commit(
    change: { scope: CatalogScope; event: AuditEvent },
    op: Deno.AtomicOperation,
    others: ChangeData[],
  ): Promise<boolean> {
    const { locationId, by, requestId } = change.scope;
    const context = auditContext(by, {
      requestId,
      retentionMs: this.#auditRetentionMs,
      feedRetentionMs: this.#retentionMs,
    });
    const entry = newAuditEntry(context, locationId, change.event);
    addAuditEntry(op, entry);
    addCatalogChanges(op, this.#kv, locationId, {
      others: [...others, auditChange(entry)],
      retentionMs: this.#retentionMs,
    });
    const result = await op.commit();
    if (result.ok) this.#cache.invalidate(locationId);
    return result.ok;
  }
}

function menuTarget(item: MenuItem) {
  return { type: "menu_item", id: item.id };
}

function tableTarget(table: Table) {
  return { type: "table", id: table.id };
}

/** What the audit log keeps of a table: not its QR token (a credential). */
function tableFacts(table: Table) {
  return { number: table.number, seats: table.seats, status: table.status };
}

function duplicateNumber(number: number) {
  return conflict(
    "duplicate_table_number",
    `Table number ${number} is already used in this location.`,
  );
}
