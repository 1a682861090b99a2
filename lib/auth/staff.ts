/**
 * The staff directory of a location: who may sign in there (by email) and with which role. A
 * sign-in with an email not in it is refused; removing someone ends their sessions at once.
 * Every change writes its audit entry in the same atomic op.
 */
import { audit, type AuditContext } from "../audit/entry.ts";
import { forbidden, notFound } from "../errors.ts";
import { retryOnConflict } from "../kv/retry.ts";
import { sessionKey, sessionsByStaffPrefix, staffMemberKey, staffPrefix } from "../kv/keys.ts";
import type { Principal } from "./principal.ts";
import { outranksOrEquals, type Role } from "./roles.ts";

/** A staff member of a location. */
export interface StaffMember {
  email: string;
  role: Role;
  name?: string;
  addedAt: string;
  /** Who added them (an actor id). */
  addedBy: string;
}

/** An email as the directory keys it: trimmed, lower case. */
export function normalEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A location's staff, by email. */
export async function listStaff(kv: Deno.Kv, locationId: string): Promise<StaffMember[]> {
  const members: StaffMember[] = [];
  for await (const entry of kv.list<StaffMember>({ prefix: staffPrefix(locationId) })) {
    members.push(entry.value);
  }
  return members;
}

/** One staff member, or null. */
export async function getStaffMember(
  kv: Deno.Kv,
  locationId: string,
  email: string,
): Promise<StaffMember | null> {
  return (await kv.get<StaffMember>(staffMemberKey(locationId, normalEmail(email)))).value;
}

/**
 * Adds someone to the directory or changes their role or name. The caller may grant its own
 * role or a weaker one (a manager may not grant owner), and may not change someone who
 * outranks it.
 */
export async function putStaffMember(
  kv: Deno.Kv,
  request: { by: Principal; locationId: string; email: string; role: Role; name?: string },
  context: AuditContext,
): Promise<{ member: StaffMember; created: boolean }> {
  const { by, locationId } = request;
  const email = normalEmail(request.email);
  if (!outranksOrEquals(by.role, request.role)) {
    throw forbidden(`A ${by.role} may not grant the ${request.role} role.`);
  }
  return await retryOnConflict(async () => {
    const entry = await kv.get<StaffMember>(staffMemberKey(locationId, email));
    const before = entry.value;
    if (before && !outranksOrEquals(by.role, before.role)) {
      throw forbidden(`A ${by.role} may not change a ${before.role}.`);
    }
    const member: StaffMember = {
      email,
      role: request.role,
      ...(request.name !== undefined
        ? { name: request.name }
        : before?.name
        ? { name: before.name }
        : {}),
      addedAt: before?.addedAt ?? new Date().toISOString(),
      addedBy: before?.addedBy ?? by.id,
    };
    const op = kv.atomic().check(entry).set(staffMemberKey(locationId, email), member);
    audit(op, kv, context, {
      scope: locationId,
      action: before ? "staff.update" : "staff.add",
      target: { type: "staff", id: email },
      ...(before ? { before: { role: before.role, name: before.name } } : {}),
      after: { role: member.role, name: member.name },
    });
    return (await op.commit()).ok ? { member, created: !before } : null;
  });
}

/**
 * Removes someone from the directory and ends their sessions in the same op. The caller may
 * not remove someone who outranks it. 404 when they are not in it.
 */
export async function removeStaffMember(
  kv: Deno.Kv,
  request: { by: Principal; locationId: string; email: string },
  context: AuditContext,
): Promise<void> {
  const { by, locationId } = request;
  const email = normalEmail(request.email);
  await retryOnConflict(async () => {
    const entry = await kv.get<StaffMember>(staffMemberKey(locationId, email));
    if (!entry.value) throw notFound("Staff member");
    if (!outranksOrEquals(by.role, entry.value.role)) {
      throw forbidden(`A ${by.role} may not remove a ${entry.value.role}.`);
    }
    const op = kv.atomic().check(entry).delete(staffMemberKey(locationId, email));
    for await (const index of kv.list({ prefix: sessionsByStaffPrefix(locationId, email) })) {
      const idHash = index.key[index.key.length - 1] as string;
      op.delete(index.key).delete(sessionKey(idHash));
    }
    audit(op, kv, context, {
      scope: locationId,
      action: "staff.remove",
      target: { type: "staff", id: email },
      before: { role: entry.value.role, name: entry.value.name },
    });
    return (await op.commit()).ok ? true : null;
  });
}
