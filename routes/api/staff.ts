/** The staff directory of the caller's location: who may sign in, with which role. */
import { z } from "@hono/zod-openapi";
import {
  listStaff,
  putStaffMember,
  removeStaffMember,
  type StaffMember,
} from "../../lib/auth/staff.ts";
import { PutStaffInput, StaffEmail, StaffMemberSchema } from "../../lib/schemas.ts";
import { auditOf } from "../middleware/auth.ts";
import {
  errorResponses,
  jsonBody,
  jsonResponse,
  router,
  staffQuery,
  staffRoute,
} from "../openapi.ts";

const EmailParams = z.object({ email: StaffEmail });

function view(member: StaffMember) {
  return {
    email: member.email,
    role: member.role,
    ...(member.name !== undefined ? { name: member.name } : {}),
    addedAt: member.addedAt,
  };
}

export const staff = router()
  .openapi(
    staffRoute("staff.manage", {
      method: "get",
      path: "/staff",
      tags: ["staff"],
      summary: "List the staff directory",
      request: { query: staffQuery() },
      responses: {
        200: jsonResponse(z.object({ staff: z.array(StaffMemberSchema) }), "By email."),
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const members = await listStaff(c.get("services").kv, c.get("location").id);
      return c.json({ staff: members.map(view) }, 200);
    },
  )
  .openapi(
    staffRoute("staff.manage", {
      method: "put",
      path: "/staff/{email}",
      tags: ["staff"],
      summary: "Add someone or change their role",
      description: "The email is kept in lower case. A caller may grant its own role or a " +
        "weaker one (a manager may not grant `owner`) and may not change someone who " +
        "outranks it. A signed-in member's new role applies to their next request.",
      request: { params: EmailParams, query: staffQuery(), body: jsonBody(PutStaffInput) },
      responses: {
        200: jsonResponse(StaffMemberSchema, "The member as stored."),
        ...errorResponses(400, 401, 403, 404, 413, 415, 422),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const { member } = await putStaffMember(c.get("services").kv, {
        by: c.get("principal"),
        locationId: c.get("location").id,
        email: c.req.valid("param").email,
        role: input.role,
        name: input.name,
      }, auditOf(c));
      return c.json(view(member), 200);
    },
  )
  .openapi(
    staffRoute("staff.manage", {
      method: "delete",
      path: "/staff/{email}",
      tags: ["staff"],
      summary: "Remove someone",
      description: "Their sessions end at once. A caller may not remove someone who outranks it.",
      request: { params: EmailParams, query: staffQuery() },
      responses: { 204: { description: "Removed." }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      await removeStaffMember(c.get("services").kv, {
        by: c.get("principal"),
        locationId: c.get("location").id,
        email: c.req.valid("param").email,
      }, auditOf(c));
      return c.body(null, 204);
    },
  );
