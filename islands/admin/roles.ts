/** Which roles an admin island offers: those the signed-in role may grant (pure). */
import { outranksOrEquals, type Role, ROLES } from "../../lib/auth/roles.ts";

/** The roles `role` may grant, strongest first (a manager is never offered `owner`). */
export function grantableRoles(role: Role): Role[] {
  return ROLES.filter((r) => outranksOrEquals(role, r));
}
