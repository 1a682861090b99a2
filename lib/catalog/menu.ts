/** The menu store: a location's items, read and written into atomic ops. */
import { menuItemKey, menuItemsPrefix } from "../kv/keys.ts";
import type { MenuItem } from "../schemas.ts";

/** Adds an item (new or changed) to `op`. */
export function putMenuItem(
  op: Deno.AtomicOperation,
  locationId: string,
  item: MenuItem,
): Deno.AtomicOperation {
  return op.set(menuItemKey(locationId, item.id), item);
}

/** Reads one item with its versionstamp (to check when changing it). */
export async function readMenuItem(
  kv: Deno.Kv,
  locationId: string,
  itemId: string,
): Promise<Deno.KvEntryMaybe<MenuItem>> {
  return await kv.get<MenuItem>(menuItemKey(locationId, itemId));
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
