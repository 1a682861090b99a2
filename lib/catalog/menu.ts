/** The menu store: a location's items. Every write bumps the location's catalog version. */
import { notFound } from "../errors.ts";
import { newId } from "../kv/ids.ts";
import { catalogVersionKey, locationKey, menuItemKey, menuItemsPrefix } from "../kv/keys.ts";
import type { CreateMenuItemInput, MenuItem, UpdateMenuItemInput } from "../schemas.ts";
import { retryOnConflict } from "../kv/retry.ts";

/** Adds an item to a location's menu. */
export async function createMenuItem(
  kv: Deno.Kv,
  locationId: string,
  input: CreateMenuItemInput,
): Promise<MenuItem> {
  const item: MenuItem = { id: newId(), ...input };
  const location = await kv.get(locationKey(locationId));
  if (!location.versionstamp) throw notFound("Location");
  const op = kv.atomic().check(location).set(catalogVersionKey(locationId), newId());
  const result = await addMenuItem(op, locationId, item).commit();
  if (!result.ok) throw notFound("Location");
  return item;
}

/** Adds a new item to `op` (the caller bumps the catalog version in the same op). */
export function addMenuItem(
  op: Deno.AtomicOperation,
  locationId: string,
  item: MenuItem,
): Deno.AtomicOperation {
  return op.set(menuItemKey(locationId, item.id), item);
}

/** Changes some fields of an item (for example `available: false` to 86 it). */
export async function updateMenuItem(
  kv: Deno.Kv,
  locationId: string,
  itemId: string,
  patch: UpdateMenuItemInput,
): Promise<MenuItem> {
  return await retryOnConflict(async () => {
    const entry = await kv.get<MenuItem>(menuItemKey(locationId, itemId));
    if (!entry.versionstamp) throw notFound("Menu item");
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const item: MenuItem = { ...entry.value, ...defined };
    const result = await kv.atomic()
      .check(entry)
      .set(entry.key, item)
      .set(catalogVersionKey(locationId), newId())
      .commit();
    return result.ok ? item : null;
  });
}

/** Removes an item from the menu. Orders already placed keep its name and price. */
export async function deleteMenuItem(
  kv: Deno.Kv,
  locationId: string,
  itemId: string,
): Promise<void> {
  await retryOnConflict(async () => {
    const entry = await kv.get<MenuItem>(menuItemKey(locationId, itemId));
    if (!entry.versionstamp) throw notFound("Menu item");
    const result = await kv.atomic()
      .check(entry)
      .delete(entry.key)
      .set(catalogVersionKey(locationId), newId())
      .commit();
    return result.ok ? true : null;
  });
}

/** A location's items in id (creation) order. */
export async function listMenuItems(kv: Deno.Kv, locationId: string): Promise<MenuItem[]> {
  const items: MenuItem[] = [];
  for await (
    const entry of kv.list<MenuItem>({ prefix: menuItemsPrefix(locationId) }, { batchSize: 1000 })
  ) {
    items.push(entry.value);
  }
  return items;
}
