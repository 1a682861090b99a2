/**
 * The admin pages of the overview, tables, staff and devices, and audit sections
 * (lib/pages/staff_pages.ts ADMIN_SECTIONS), each behind the staff guard with the admin page's
 * permission, and the printable sheet of the tables' QR codes.
 */
import { Hono } from "hono";
import { STAFF_PAGES } from "../../lib/pages/staff_pages.ts";
import type { AppEnv } from "../state.ts";
import { auditPage } from "./admin/audit.tsx";
import { overviewPage } from "./admin/overview.tsx";
import { deviceLink, peoplePage } from "./admin/people.tsx";
import { printSheet, tablesPage } from "./admin/tables.tsx";
import { staffPage } from "./staff_page.tsx";
import { jsonBodyGuard } from "../middleware/json_body.ts";

const guard = staffPage(STAFF_PAGES.find((page) => page.kind === "admin")!);

export const adminPages = new Hono<AppEnv>()
  .get("/admin", guard, overviewPage)
  .get("/admin/tables", guard, tablesPage)
  .get("/admin/tables/print", guard, printSheet)
  .get("/admin/people", guard, peoplePage)
  .post(
    "/admin/people/device-link",
    jsonBodyGuard({ maxBytes: 8 * 1024 }),
    guard,
    deviceLink,
  )
  .get("/admin/audit", guard, auditPage);
