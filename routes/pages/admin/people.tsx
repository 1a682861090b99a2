/**
 * `GET /admin/people`: the staff directory and the device tokens; and `POST
 * /admin/people/device-link`: the ready link (and its QR code) of a device token just issued,
 * for the page to show once. The token comes in the body, never in an address, and must be a
 * live device token of this location; the link opens the page of its role's screen.
 */
import type { Context } from "hono";
import { z } from "@hono/zod-openapi";
import { Island } from "../../../components/island.tsx";
import { sharedAssets } from "../../../lib/assets/assets.ts";
import { listStaff } from "../../../lib/auth/staff.ts";
import { qrSvg } from "../../../lib/catalog/qr.ts";
import { invalid } from "../../../lib/errors.ts";
import type { Role } from "../../../lib/auth/roles.ts";
import { STAFF_PAGES, type StaffPageEntry } from "../../../lib/pages/staff_pages.ts";
import { staffMessages } from "../../../lib/pages/staff_messages.ts";
import AdminPeople from "../../../islands/admin/people.tsx";
import type { DeviceLink } from "../../../islands/admin/device_tokens.tsx";
import type { AppEnv, StaffEnv } from "../../state.ts";
import { renderPage } from "../render.tsx";
import { staffSession } from "../staff_page.tsx";
import { AdminFrame } from "./frame.tsx";
import { pathOf } from "./path.ts";

export async function peoplePage(c: Context<StaffEnv>): Promise<Response> {
  const { kv, config, auth } = c.get("services");
  const session = staffSession(c);
  const locationId = c.get("location").id;
  const [members, records] = await Promise.all([
    listStaff(kv, locationId),
    auth.listDeviceTokens(locationId),
  ]);
  const now = Date.now();
  const props = {
    session,
    staff: members.map((member) => ({
      email: member.email,
      role: member.role,
      ...(member.name !== undefined ? { name: member.name } : {}),
      addedAt: member.addedAt,
    })),
    tokens: records.map((record) => ({
      id: record.id,
      role: record.role,
      label: record.label,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      active: Date.parse(record.expiresAt) > now,
    })),
  };
  const assets = (await sharedAssets(config.assetsDir)).page("admin");
  return renderPage(
    c as unknown as Context<AppEnv>,
    <AdminFrame
      session={session}
      section="people"
      path={pathOf(c)}
      title={staffMessages(session.lang).admin_people}
      assets={assets}
    >
      <Island name="AdminPeople" component={AdminPeople} props={props} />
    </AdminFrame>,
  );
}

/** The page a shared screen of each role opens: the pass, the floor, the office. */
const DEVICE_PAGE: Record<Role, StaffPageEntry["kind"]> = {
  kitchen: "kitchen",
  server: "floor",
  manager: "admin",
  owner: "admin",
};

const DeviceLinkInput = z.object({ token: z.string().min(1).max(4096) }).strict();

export async function deviceLink(c: Context<StaffEnv>): Promise<Response> {
  const { auth, config } = c.get("services");
  const parsed = DeviceLinkInput.safeParse(await c.req.json().catch(() => null));
  if (!parsed.success) throw invalid("Send `{ token }`: the device token just issued.");
  const { token } = parsed.data;
  const device = await auth.authenticate(token);
  if (
    !device || device.via !== "device" || device.locations === "all" ||
    device.locations[0] !== c.get("location").id
  ) {
    throw invalid("That is not a live device token of this location.");
  }
  const page = STAFF_PAGES.find((p) => p.kind === DEVICE_PAGE[device.role])!;
  const url = `${config.publicUrl}${page.path}?access_token=${encodeURIComponent(token)}`;
  c.header("Cache-Control", "no-store");
  return c.json({ url, svg: await qrSvg(url) } satisfies DeviceLink);
}
