/** The Hono environment shared by every route. */
import type { Principal } from "../lib/auth/tokens.ts";
import type { Location } from "../lib/schemas.ts";
import type { Services } from "../lib/services.ts";

/** Variables set by middleware. */
export interface AppEnv {
  Variables: {
    services: Services;
    /** Set by `staffOnly`: who is calling. */
    principal: Principal;
    /** Set by `staffOnly`: the location the call acts on. */
    location: Location;
  };
}
