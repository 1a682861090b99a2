/**
 * A location's kitchen and floor settings: auto-accept, pacing, pause, and the ticket ages a
 * kitchen display colours by. They are part of the location's catalog: written with a catalog
 * version bump (so the cached snapshot that prices orders carries them, and an order commit
 * checked against that version was judged by the settings in force) and a `settings` change on
 * the feed (so streams, the mirror and webhooks see them).
 */
import { z } from "@hono/zod-openapi";
import type { Catalog } from "../catalog/cache.ts";
import { addCatalogChanges } from "../catalog/service.ts";
import type { ChangeData } from "../feed/feed.ts";
import { invalid, notFound } from "../errors.ts";
import { locationKey, settingsKey } from "../kv/keys.ts";
import { retryOnConflict } from "../kv/retry.ts";

export const SettingsSchema = z.object({
  autoAccept: z.boolean().openapi({
    description: "New orders are created `queued` (history: `pending`, then `queued` by `system`).",
  }),
  maxOpenOrders: z.number().int().openapi({
    description: "0 = off. At or over this many orders queued or preparing, new orders are " +
      "still accepted but their `estimatedReadyAt` waits for a slot.",
  }),
  orderingPaused: z.boolean().openapi({
    description: "New orders are refused with 409 `ordering_paused` and `pausedMessage`.",
  }),
  pausedMessage: z.string().openapi({ description: "What a guest is told while paused." }),
  ticketWarnMinutes: z.number().int().openapi({
    description: "A kitchen display shows a ticket this old (since queued) as late-ish.",
  }),
  ticketLateMinutes: z.number().int().openapi({
    description: "A kitchen display shows a ticket this old (since queued) as late.",
  }),
}).openapi("Settings");
/** A location's settings. */
export type Settings = z.infer<typeof SettingsSchema>;

export const UpdateSettingsInput = z.object({
  autoAccept: z.boolean().optional(),
  maxOpenOrders: z.number().int().min(0).max(10_000).optional(),
  orderingPaused: z.boolean().optional(),
  pausedMessage: z.string().trim().min(1).max(300).optional(),
  ticketWarnMinutes: z.number().int().min(1).max(600).optional(),
  ticketLateMinutes: z.number().int().min(1).max(600).optional(),
}).strict().refine((v) => Object.values(v).some((x) => x !== undefined), {
  message: "Send at least one setting to change.",
}).openapi("UpdateSettings");
export type UpdateSettingsInput = z.infer<typeof UpdateSettingsInput>;

/** The settings of a location that never changed them. */
export const DEFAULT_SETTINGS: Settings = Object.freeze({
  autoAccept: false,
  maxOpenOrders: 0,
  orderingPaused: false,
  pausedMessage: "We are not taking orders from the table right now; please ask a server.",
  ticketWarnMinutes: 10,
  ticketLateMinutes: 20,
});

/**
 * What a staff screen shows by: the ticket ages it colours at, whether orders need accepting,
 * and whether guests' ordering is paused.
 */
export type ScreenSettings = Pick<
  Settings,
  "autoAccept" | "orderingPaused" | "ticketWarnMinutes" | "ticketLateMinutes"
>;

/**
 * The settings a kitchen or floor screen follows, as its stream's `settings` event sends them
 * when they change (the kitchen role may not read the rest).
 */
export function screenSettings(settings: Settings): ScreenSettings {
  const { autoAccept, orderingPaused, ticketWarnMinutes, ticketLateMinutes } = settings;
  return { autoAccept, orderingPaused, ticketWarnMinutes, ticketLateMinutes };
}

/** The settings as stored, over the defaults (for settings added later). */
export function withDefaults(stored: Partial<Settings> | null): Settings {
  return { ...DEFAULT_SETTINGS, ...(stored ?? {}) };
}

/** Reads a location's settings (the defaults when never written). */
export async function getSettings(kv: Deno.Kv, locationId: string): Promise<Settings> {
  return withDefaults((await kv.get<Settings>(settingsKey(locationId))).value);
}

/** The settings after a patch; the warn age may not exceed the late age (422 otherwise). */
export function patchedSettings(before: Settings, patch: UpdateSettingsInput): Settings {
  const after = { ...before };
  for (const [name, value] of Object.entries(patch)) {
    if (value !== undefined) (after as Record<string, unknown>)[name] = value;
  }
  if (after.ticketWarnMinutes > after.ticketLateMinutes) {
    throw invalid("The settings are not valid.", [{
      path: "ticketWarnMinutes",
      message: `The warning age (${after.ticketWarnMinutes} min) may not exceed the late age ` +
        `(${after.ticketLateMinutes} min).`,
    }]);
  }
  return after;
}

/**
 * Changes a location's settings: read, patch, commit checked against what was read, with the
 * catalog bookkeeping (version bump, `settings` feed change), then drops the cached snapshot.
 * `addToCommit` lets the caller add to the same atomic op (the audit entry).
 */
export async function updateSettings(
  kv: Deno.Kv,
  deps: { catalog: Catalog; retentionMs: number },
  request: {
    locationId: string;
    patch: UpdateSettingsInput;
    /** More for the same atomic op (an audit entry); returns changes for its feed entry. */
    addToCommit?: (
      op: Deno.AtomicOperation,
      before: Settings,
      after: Settings,
    ) => ChangeData[] | void;
  },
): Promise<{ before: Settings; after: Settings }> {
  const { locationId } = request;
  const result = await retryOnConflict(async () => {
    const [location, stored] = await kv.getMany<[unknown, Settings]>([
      locationKey(locationId),
      settingsKey(locationId),
    ]);
    if (!location.versionstamp) throw notFound("Location");
    const before = withDefaults(stored.value);
    const after = patchedSettings(before, request.patch);
    const op = kv.atomic().check(location).check(stored).set(settingsKey(locationId), after);
    const more = request.addToCommit?.(op, before, after) ?? [];
    addCatalogChanges(op, kv, locationId, {
      others: [{ type: "settings", locationId, settings: after }, ...more],
      retentionMs: deps.retentionMs,
    });
    return (await op.commit()).ok ? { before, after } : null;
  });
  deps.catalog.invalidate(locationId);
  return result;
}
