/** Who is calling, once authenticated, and what follows from it. Pure. */
import type { Role } from "./roles.ts";

/** How a staff member proved who they are. */
export type CredentialKind = "bootstrap" | "device" | "session";

/** An authenticated staff member or device. */
export interface Principal {
  role: Role;
  /** How the caller authenticated. */
  via: CredentialKind;
  /**
   * The credential's id: "bootstrap", the device token's id, or, for a session, the id of what
   * it was opened with (a device token's id, or the staff member's email).
   */
  id: string;
  /** The locations it acts on: "all" for the bootstrap token. */
  locations: "all" | string[];
  label: string;
  /** The device token behind it, if any (the bearer token, or what a session was opened with). */
  deviceTokenId?: string;
  /**
   * For a device token presented as the credential: the id of the key that signed it (`kid`),
   * null for a token from before key ids (the first key's). A retired key ends what it opened.
   */
  signedWith?: string | null;
  /** The staff member's email, for a signed-in session. */
  email?: string;
  /** For a session: its id (to end it) and the CSRF token its state changes must carry. */
  session?: { id: string; csrfToken: string };
}

/** Whether a principal may act on a location. */
export function mayActOn(principal: Principal, locationId: string): boolean {
  return principal.locations === "all" || principal.locations.includes(locationId);
}

/** The staff identity recorded in an order's history: role and credential id. */
export function actor(principal: Principal): string {
  return `${principal.role}:${principal.id}`;
}
