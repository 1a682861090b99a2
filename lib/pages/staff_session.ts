/**
 * What a staff page knows of who opened it, as plain data: rendered by the server into the
 * page and handed to its islands (which send `csrfToken` with every change they make).
 */
import type { Role } from "../auth/roles.ts";

export interface StaffPageSession {
  role: Role;
  /** A name to show: the email, or the device token's label. */
  who: string;
  /** The session's CSRF token (absent for a bearer-token request). */
  csrfToken?: string;
  location: { id: string; slug: string; name: string; currency: string };
  /** The `?location=` the page was opened with, kept on links and API calls. */
  locationQuery?: string;
  /** The page's language (one of the pages' languages). */
  lang: string;
}
