/** The kitchen display's bundle: its one island. */
import { boot } from "../boot.ts";
import KitchenPage from "../kitchen_page.tsx";

boot({ KitchenPage });
