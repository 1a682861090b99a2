/** The location store: restaurants, each with a unique slug. */
import { newId } from "../kv/ids.ts";
import { locationBySlugKey, locationKey, locationsPrefix } from "../kv/keys.ts";
import type { CreateLocationInput, Location } from "../schemas.ts";

/** A new location record (not stored yet). */
export function newLocation(input: CreateLocationInput): Location {
  return {
    id: newId(),
    slug: input.slug,
    name: input.name,
    currency: input.currency,
    defaultLanguage: input.defaultLanguage,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Adds a new location to `op`: its record and its slug, checked free, so the commit fails when
 * the slug is taken.
 */
export function addLocation(op: Deno.AtomicOperation, location: Location): Deno.AtomicOperation {
  return op
    .check({ key: locationBySlugKey(location.slug), versionstamp: null })
    .set(locationKey(location.id), location)
    .set(locationBySlugKey(location.slug), location.id);
}

/** Reads a location by id, or null. */
export async function getLocation(kv: Deno.Kv, locationId: string): Promise<Location | null> {
  return (await kv.get<Location>(locationKey(locationId))).value;
}

/** Reads a location by slug, or null. */
export async function getLocationBySlug(kv: Deno.Kv, slug: string): Promise<Location | null> {
  const id = await kv.get<string>(locationBySlugKey(slug));
  return id.value ? await getLocation(kv, id.value) : null;
}

/** Every location, oldest first. */
export async function listLocations(kv: Deno.Kv): Promise<Location[]> {
  const locations: Location[] = [];
  for await (const entry of kv.list<Location>({ prefix: locationsPrefix() })) {
    locations.push(entry.value);
  }
  return locations;
}

/** The first location created (the default for multi-location tokens), or null. */
export async function firstLocation(kv: Deno.Kv): Promise<Location | null> {
  for await (const entry of kv.list<Location>({ prefix: locationsPrefix() }, { limit: 1 })) {
    return entry.value;
  }
  return null;
}
