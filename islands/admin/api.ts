/**
 * What the admin islands share to talk to the API: the typed client with the session's CSRF
 * token on every change, the `?location=` the page was opened with, and an error answer as a
 * sentence to show.
 */
import { apiClient } from "../../lib/client/api.ts";
import type { StaffPageSession } from "../../lib/pages/staff_session.ts";

/** The typed client for an island of `session`'s page. */
export function adminClient(session: StaffPageSession) {
  const client = apiClient();
  client.use({
    onRequest({ request }) {
      if (request.method !== "GET" && session.csrfToken) {
        request.headers.set("x-csrf-token", session.csrfToken);
      }
      return request;
    },
  });
  return client;
}

/** The query every staff call carries: the page's `?location=`, if it had one. */
export function staffQuery(session: StaffPageSession): { location?: string } {
  return session.locationQuery ? { location: session.locationQuery } : {};
}

/** An error answer as one sentence: its message and details, else the HTTP status. */
export function problemOf(error: unknown, response: Response): string {
  const body = (error as {
    error?: { message?: string; details?: { path: string; message: string }[] };
  } | undefined)?.error;
  if (!body?.message) return `${response.status} ${response.statusText}`.trim();
  const details = (body.details ?? []).map((d) => d.message).join(" ");
  return details ? `${body.message} ${details}` : body.message;
}
