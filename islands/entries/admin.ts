/** The admin pages' bundle: one island per section; each page holds only its own. */
import { boot } from "../boot.ts";
import AdminOverview from "../admin/overview.tsx";
import AdminPeople from "../admin/people.tsx";
import AdminTables from "../admin/tables.tsx";

boot({ AdminOverview, AdminTables, AdminPeople });
