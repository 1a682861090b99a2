/**
 * What a request knows at each step, typed: every request has the services; an authenticated
 * staff request also has its principal and the location it acts on (after saaskit's `State` and
 * `SignedInState`).
 */
import type { Principal } from "../lib/auth/principal.ts";
import type { Location } from "../lib/schemas.ts";
import type { Services } from "../lib/services.ts";

/** Every request. */
export interface AppEnv {
  Variables: {
    services: Services;
    /** This request's id (`X-Request-Id`), set first by `requestContext`. */
    requestId: string;
    /** The client's address (socket, or a trusted proxy's header), set by `requestContext`. */
    clientAddress: string;
    /** Set once a staff credential was checked (by `staff`, or by `authenticate`'s caller). */
    principal?: Principal;
  };
}

/** A staff request, after `staff(permission)` authenticated, authorized and chose its location. */
export interface StaffEnv {
  Variables: {
    services: Services;
    requestId: string;
    clientAddress: string;
    principal: Principal;
    location: Location;
  };
}
