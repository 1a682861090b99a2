/** The menu store: a location's items, read and written into atomic ops. */
import { menuItemKey, menuItemsPrefix } from "../kv/keys.ts";
import type { MenuItem } from "../schemas.ts";
import { normalizeMenuItem } from "./options.ts";

/** Adds an item (new or changed) to `op`. */
export function putMenuItem(
  op: Deno.AtomicOperation,
  locationId: string,
  item: MenuItem,
): Deno.AtomicOperation {
  return op.set(menuItemKey(locationId, item.id), item);
}

/** Reads one item with its versionstamp (to check when changing it), normalized. */
export async function readMenuItem(
  kv: Deno.Kv,
  locationId: string,
  itemId: string,
): Promise<Deno.KvEntryMaybe<MenuItem>> {
  const entry = await kv.get<MenuItem>(menuItemKey(locationId, itemId));
  return entry.value ? { ...entry, value: normalizeMenuItem(entry.value) } : entry;
}

/** A location's items in id (creation) order, normalized (`options.ts`). */
export async function listMenuItems(kv: Deno.Kv, locationId: string): Promise<MenuItem[]> {
  const items: MenuItem[] = [];
  for await (
    const entry of kv.list<MenuItem>({ prefix: menuItemsPrefix(locationId) }, { batchSize: 1000 })
  ) {
    items.push(normalizeMenuItem(entry.value));
  }
  return items;
}
