/** Staff roles and what each may do. Pure: no I/O. */

/** Staff roles, strongest first. */
export const ROLES = ["owner", "manager", "server", "kitchen"] as const;
/** A staff role. */
export type Role = typeof ROLES[number];

/** Things a staff member may be allowed to do (order moves are in `lifecycle.ts`). */
export type Permission =
  | "orders.read"
  | "kitchen.stream"
  | "tables.manage"
  | "menu.write"
  | "menu.availability"
  | "locations.manage"
  | "tokens.manage"
  | "analytics.read"
  | "webhooks.manage"
  | "kitchen.lines"
  | "settings.manage"
  | "requests.manage"
  | "staff.read_self"
  | "staff.manage"
  | "audit.read";

const GRANTS: Record<Permission, readonly Role[]> = {
  "orders.read": ["owner", "manager", "server", "kitchen"],
  "kitchen.stream": ["owner", "manager", "server", "kitchen"],
  "tables.manage": ["owner", "manager", "server"],
  "menu.write": ["owner", "manager"],
  "menu.availability": ["owner", "manager", "kitchen"],
  "locations.manage": ["owner"],
  "tokens.manage": ["owner", "manager"],
  "analytics.read": ["owner", "manager"],
  "webhooks.manage": ["owner", "manager"],
  "kitchen.lines": ["owner", "manager", "kitchen"],
  "settings.manage": ["owner", "manager"],
  "requests.manage": ["owner", "manager", "server"],
  "staff.read_self": ["owner", "manager", "server", "kitchen"],
  "staff.manage": ["owner", "manager"],
  "audit.read": ["owner", "manager"],
};

/** Whether `role` holds `permission`. */
export function can(role: Role, permission: Permission): boolean {
  return GRANTS[permission].includes(role);
}

/** Whether `role` is at least as strong as `other` (owner > manager > server, kitchen). */
export function outranksOrEquals(role: Role, other: Role): boolean {
  return rank(role) >= rank(other);
}

function rank(role: Role): number {
  return role === "owner" ? 3 : role === "manager" ? 2 : 1;
}
