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

/** A part of the admin page: its own path (and page), named by its message key. */
export interface AdminSection {
  id: "overview" | "tables" | "menu" | "people" | "audit" | "analytics";
  path: `/admin${string}`;
}

/** The admin page's parts, in navigation order (components/admin_nav.tsx). */
export const ADMIN_SECTIONS: readonly AdminSection[] = [
  { id: "overview", path: "/admin" },
  { id: "tables", path: "/admin/tables" },
  { id: "menu", path: "/admin/menu" },
  { id: "people", path: "/admin/people" },
  { id: "audit", path: "/admin/audit" },
  { id: "analytics", path: "/admin/analytics" },
];
