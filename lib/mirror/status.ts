/**
 * The mirror's state as `GET /api/health` reports it. Whichever process runs the mirror (a Deno
 * Worker of the API process, the API thread itself, or `deno task mirror` beside API processes)
 * publishes it to the store every second, so every API process can report it with one read.
 */
import { mirrorStatusKey } from "../kv/keys.ts";

/** `off` without `DATABASE_URL`; `down` when Postgres (or the mirror itself) does not answer. */
export type MirrorState = "off" | "ok" | "behind" | "down";

/** What health reports of the mirror. */
export interface MirrorStatus {
  state: MirrorState;
  /** Changes committed to the feed and not yet in Postgres, over all locations. */
  lagEvents: number;
  /** Age of the oldest change not yet in Postgres, in seconds (0 when none). */
  lagSeconds: number;
}

/** A status as published, with when. */
export interface PublishedStatus extends MirrorStatus {
  at: number;
}

/** A published status older than this means no mirror is running. */
export const STALE_STATUS_MS = 10_000;

/** Publishes the mirror's status. */
export async function publishStatus(kv: Deno.Kv, status: MirrorStatus): Promise<void> {
  const value: PublishedStatus = { ...status, at: Date.now() };
  await kv.set(mirrorStatusKey(), value);
}

/** The mirror's status for health: `down` when nothing published it lately. */
export async function readStatus(kv: Deno.Kv, enabled: boolean): Promise<MirrorStatus> {
  if (!enabled) return { state: "off", lagEvents: 0, lagSeconds: 0 };
  const entry = await kv.get<PublishedStatus>(mirrorStatusKey());
  const status = entry.value;
  if (!status) return { state: "down", lagEvents: 0, lagSeconds: 0 };
  const state = Date.now() - status.at > STALE_STATUS_MS ? "down" : status.state;
  return { state, lagEvents: status.lagEvents, lagSeconds: status.lagSeconds };
}
