/**
 * Taps a staff screen makes on orders and service requests (move an order, mark a line ready
 * or not, acknowledge a request), sent through the typed client with the session's CSRF token.
 * Order taps carry the order's version as the tap saw it (`If-Match`), so a tap sent late,
 * after the screen was offline, changes nothing when the order was changed elsewhere meanwhile:
 * the answer is a 409 the screen shows on the ticket. Taps not sent yet wait in an outbox kept
 * in memory and in `localStorage`, so a reload keeps them.
 */
import { apiClient } from "../../lib/client/api.ts";
import type { OrderStatus } from "../../lib/orders/lifecycle.ts";
import type { ServiceRequest } from "../../lib/floor/requests.ts";
import type { LiveOrder } from "./board.ts";

const api = apiClient();

/** One tap, as made. */
export type Tap =
  | { kind: "move"; orderId: string; version: number; to: OrderStatus }
  | { kind: "line"; orderId: string; version: number; index: number; ready: boolean }
  | { kind: "ack"; requestId: string };

/** A tap waiting in the outbox. */
export type QueuedTap = Tap & { id: string; at: number };

/** How a sent tap went. */
export type TapResult =
  | { kind: "done"; order?: LiveOrder; request?: ServiceRequest }
  /** Refused (a 4xx): not to be sent again; `code` e.g. `version_conflict`. */
  | { kind: "refused"; status: number; code: string; message: string }
  /** Not answered (network, 5xx, 429): to be sent again later. */
  | { kind: "unsent" };

/** Who sends: the session's CSRF token and the `?location=` the page was opened with. */
export interface TapContext {
  csrfToken?: string;
  locationQuery?: string;
}

/** Sends one tap. Never throws. */
export async function sendTap(tap: Tap, context: TapContext): Promise<TapResult> {
  const query = context.locationQuery ? { location: context.locationQuery } : undefined;
  const headers = context.csrfToken ? { "x-csrf-token": context.csrfToken } : undefined;
  try {
    let answer: { data?: unknown; error?: unknown; response: Response };
    if (tap.kind === "move") {
      answer = await api.PATCH("/api/orders/{id}", {
        params: { path: { id: tap.orderId }, query, header: { "if-match": `"${tap.version}"` } },
        body: { status: tap.to },
        headers,
      });
    } else if (tap.kind === "line") {
      const init = {
        params: {
          path: { id: tap.orderId, index: tap.index },
          query,
          header: { "if-match": `"${tap.version}"` },
        },
        headers,
      };
      answer = tap.ready
        ? await api.POST("/api/orders/{id}/lines/{index}/ready", init)
        : await api.DELETE("/api/orders/{id}/lines/{index}/ready", init);
    } else {
      answer = await api.POST("/api/service-requests/{id}/ack", {
        params: { path: { id: tap.requestId }, query },
        headers,
      });
    }
    const { response } = answer;
    if (response.ok) {
      return tap.kind === "ack"
        ? { kind: "done", request: answer.data as ServiceRequest }
        : { kind: "done", order: answer.data as LiveOrder };
    }
    if (response.status === 429 || response.status >= 500) return { kind: "unsent" };
    const error = (answer.error as { error?: { code?: string; message?: string } })?.error;
    return {
      kind: "refused",
      status: response.status,
      code: error?.code ?? String(response.status),
      message: error?.message ?? response.statusText,
    };
  } catch {
    return { kind: "unsent" };
  }
}

/** The outbox kept under `key` in `localStorage` (empty when storage is off or holds junk). */
export function readOutbox(key: string): QueuedTap[] {
  try {
    const value = JSON.parse(localStorage.getItem(key) ?? "[]");
    return Array.isArray(value) ? value.filter((t) => t && typeof t.kind === "string") : [];
  } catch {
    return [];
  }
}

/** Keeps `taps` under `key` (nothing kept when storage is off: the outbox lives in memory). */
export function writeOutbox(key: string, taps: readonly QueuedTap[]): void {
  try {
    if (taps.length) localStorage.setItem(key, JSON.stringify(taps));
    else localStorage.removeItem(key);
  } catch {
    // Private mode or full: the taps wait in memory only.
  }
}

/** The id a tap's outcome is shown on: its order's, or its request's. */
export function tapTarget(tap: Tap): string {
  return tap.kind === "ack" ? tap.requestId : tap.orderId;
}
