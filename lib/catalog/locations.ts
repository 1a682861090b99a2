/** The location store: restaurants, each with a unique slug. */
import { newId } from "../kv/ids.ts";
import { locationBySlugKey, locationKey, locationsPrefix } from "../kv/keys.ts";
import type { CreateLocationInput, Location, UpdateLocationInput } from "../schemas.ts";
import { offeredLanguages } from "./i18n.ts";

/** A new location record (not stored yet); `languages` holds the default first, each once. */
export function newLocation(input: CreateLocationInput): Location {
  const languages = offeredLanguages(input.defaultLanguage, input.languages);
  return {
    id: newId(),
    slug: input.slug,
    name: input.name,
    currency: input.currency,
    defaultLanguage: languages[0],
    languages,
    createdAt: new Date().toISOString(),
  };
}

/** A location with `patch` applied: its name, its languages (the default first, each once). */
export function changedLocation(location: Location, patch: UpdateLocationInput): Location {
  return {
    ...location,
    name: patch.name ?? location.name,
    languages: offeredLanguages(location.defaultLanguage, patch.languages ?? location.languages),
  };
}

/** A location as read, with `languages` filled in for those stored before it existed. */
export function normalized(location: Location | null): Location | null {
  if (!location || location.languages) return location;
  return { ...location, languages: offeredLanguages(location.defaultLanguage) };
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
  return normalized((await kv.get<Location>(locationKey(locationId))).value);
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
    locations.push(normalized(entry.value)!);
  }
  return locations;
}

/** The first location created (the default for multi-location tokens), or null. */
export async function firstLocation(kv: Deno.Kv): Promise<Location | null> {
  for await (const entry of kv.list<Location>({ prefix: locationsPrefix() }, { limit: 1 })) {
    return normalized(entry.value);
  }
  return null;
}
