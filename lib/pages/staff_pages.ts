/**
 * The staff pages and who may open them, for the guard (routes/pages/staff_page.tsx) and the
 * navigation every staff page shows. Pure.
 */
import { can, type Permission, type Role } from "../auth/roles.ts";

/** A staff page: its path, the permission it needs, and its name's message key. */
export interface StaffPageEntry {
  kind: "kitchen" | "floor" | "admin";
  path: `/${string}`;
  permission: Permission;
}

/** Every staff page, in navigation order. */
export const STAFF_PAGES: readonly StaffPageEntry[] = [
  { kind: "kitchen", path: "/kitchen", permission: "kitchen.stream" },
  { kind: "floor", path: "/floor", permission: "requests.manage" },
  { kind: "admin", path: "/admin", permission: "settings.manage" },
];

/** The staff pages `role` may open. */
export function pagesFor(role: Role): StaffPageEntry[] {
  return STAFF_PAGES.filter((p) => can(role, p.permission));
}

/**
 * Where a signed-in person goes when the page they opened is not theirs, or after signing in
 * without a destination: their first page.
 */
export function homeFor(role: Role): string {
  return pagesFor(role)[0]?.path ?? "/kitchen";
}
