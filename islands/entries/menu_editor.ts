/** The admin menu editor's bundle (`/admin/menu`): its one island. */
import { boot } from "../boot.ts";
import MenuEditorPage from "../menu_editor_page.tsx";

boot({ MenuEditorPage });
