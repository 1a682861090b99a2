/** The floor page's bundle: its one island. */
import { boot } from "../boot.ts";
import FloorPage from "../floor_page.tsx";

boot({ FloorPage });
