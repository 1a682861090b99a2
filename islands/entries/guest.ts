/** The guest page's bundle: its one island. */
import { boot } from "../boot.ts";
import GuestPage from "../guest_page.tsx";

boot({ GuestPage });
