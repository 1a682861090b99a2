/**
 * Credentials and who they stand for. Staff present a bearer token (the bootstrap owner token, or
 * a signed device token: a JWT with its id, role, location and expiry, refused once its record is
 * revoked) or a session cookie (`sessions.ts`). Guests present a table token (see
 * `catalog/cache.ts`) or an order token, an HMAC of the order id. Both signed tokens name their
 * key (`signing_keys.ts`): the JWT's `kid` header, the order token's middle part; a token without
 * one (minted before keys had ids) is checked with the first key.
 */
import { createHmac } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { forbidden } from "../errors.ts";
import { newId, sha256Hex, timingSafeEqual } from "../kv/ids.ts";
import { authTokenKey, authTokensPrefix, staffMemberKey } from "../kv/keys.ts";
import { audit, type AuditContext } from "../audit/entry.ts";
import type { StaffMember } from "./staff.ts";
import type { Principal } from "./principal.ts";
import { outranksOrEquals, type Role } from "./roles.ts";
import type { Secrets } from "./secrets.ts";
import type { SigningKeys } from "./signing_keys.ts";
import { readSession } from "./sessions.ts";

/** What is stored of a device token. */
export interface DeviceTokenRecord {
  id: string;
  role: Role;
  locationId: string;
  label: string;
  createdAt: string;
  expiresAt: string;
  createdBy: string;
}

const ISSUER = "seatserve";
const DEFAULT_TTL_SECONDS = 90 * 24 * 60 * 60;

/** Issues and checks staff tokens and order tokens. */
export class Auth {
  #kv: Deno.Kv;
  #secrets: Secrets;
  #keys: SigningKeys;

  constructor(kv: Deno.Kv, secrets: Secrets, keys: SigningKeys) {
    this.#kv = kv;
    this.#secrets = secrets;
    this.#keys = keys;
  }

  /** The principal a bearer token stands for, or null when the token is not one we accept. */
  async authenticate(token: string): Promise<Principal | null> {
    if (token.length > 4096) return null;
    if (timingSafeEqual(sha256Hex(token), this.#secrets.bootstrapTokenHash)) {
      return {
        role: "owner",
        via: "bootstrap",
        id: "bootstrap",
        locations: "all",
        label: "bootstrap",
      };
    }
    let id: string;
    let signedWith: string | null;
    try {
      const { payload, protectedHeader } = await jwtVerify(token, async (header) => {
        if (header.kid !== undefined && typeof header.kid !== "string") throw new Error("kid");
        const key = await this.#keys.verifyingFresh(header.kid);
        if (!key) throw new Error("unknown or retired signing key");
        return key.secret;
      }, {
        issuer: ISSUER,
        algorithms: ["HS256"],
      });
      if (typeof payload.jti !== "string") return null;
      id = payload.jti;
      signedWith = protectedHeader.kid ?? null;
    } catch {
      return null;
    }
    const record = (await this.#kv.get<DeviceTokenRecord>(authTokenKey(id))).value;
    if (!record || Date.parse(record.expiresAt) <= Date.now()) return null;
    return {
      role: record.role,
      via: "device",
      id: record.id,
      deviceTokenId: record.id,
      signedWith,
      locations: [record.locationId],
      label: record.label,
    };
  }

  /**
   * The principal of a live session, or null (unknown, expired, revoked, or its token is, or
   * its staff member is no longer in the directory). A signed-in staff member acts with the
   * role the directory gives them now.
   */
  async authenticateSession(sessionId: string): Promise<Principal | null> {
    const record = await readSession(this.#kv, sessionId);
    if (!record) return null;
    const principal: Principal = {
      ...record.principal,
      via: "session",
      session: { id: sessionId, csrfToken: record.csrfToken },
    };
    if (principal.email) {
      const member = await this.#staffMember(record.locationId, principal.email);
      if (!member) return null;
      principal.role = member.role;
    }
    return await this.#credentialHolds(principal) ? principal : null;
  }

  async #staffMember(locationId: string, email: string): Promise<StaffMember | null> {
    return (await this.#kv.get<StaffMember>(staffMemberKey(locationId, email))).value;
  }

  /**
   * Whether a principal authenticated earlier still holds: its device token or session is
   * neither revoked nor expired (the bootstrap token always holds). Long-lived connections ask
   * this as they go.
   */
  async stillValid(principal: Principal): Promise<boolean> {
    if (principal.session && !(await readSession(this.#kv, principal.session.id))) return false;
    if (principal.session && principal.email) {
      const member = await this.#staffMember(principal.locations[0], principal.email);
      if (!member || member.role !== principal.role) return false;
    }
    return await this.#credentialHolds(principal);
  }

  /**
   * The device token behind a principal, if there is one, is still live; presented itself, its
   * signing key is not retired either (a session opened with it is not signed, and holds).
   */
  async #credentialHolds(principal: Principal): Promise<boolean> {
    if (!principal.deviceTokenId) return true;
    if (principal.via === "device" && principal.signedWith !== undefined) {
      if (!this.#keys.verifying(principal.signedWith ?? undefined)) return false;
    }
    const record = (await this.#kv.get<DeviceTokenRecord>(authTokenKey(principal.deviceTokenId)))
      .value;
    return record !== null && Date.parse(record.expiresAt) > Date.now();
  }

  /**
   * Issues a device token for `locationId` with `role`. The issuer may grant its own role or a
   * weaker one, never a stronger one.
   */
  async issueDeviceToken(
    issuer: Principal,
    request: { role: Role; locationId: string; label?: string; ttlSeconds?: number },
    context: AuditContext,
  ): Promise<{ token: string; record: DeviceTokenRecord }> {
    if (!outranksOrEquals(issuer.role, request.role)) {
      throw forbidden(`A ${issuer.role} may not issue ${request.role} tokens.`);
    }
    const now = new Date();
    const ttlSeconds = request.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    const record: DeviceTokenRecord = {
      id: newId(),
      role: request.role,
      locationId: request.locationId,
      label: request.label ?? "",
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
      createdBy: issuer.id,
    };
    const key = this.#keys.current;
    const token = await new SignJWT({ role: record.role, loc: record.locationId })
      .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: key.kid })
      .setIssuer(ISSUER)
      .setJti(record.id)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key.secret);
    const op = this.#kv.atomic().set(authTokenKey(record.id), record, {
      expireIn: ttlSeconds * 1000,
    });
    audit(op, this.#kv, context, {
      scope: record.locationId,
      action: "device_token.issue",
      target: { type: "device_token", id: record.id },
      after: { role: record.role, label: record.label, expiresAt: record.expiresAt },
    });
    await op.commit();
    return { token, record };
  }

  /** A device token's record, or null. */
  async getDeviceToken(id: string): Promise<DeviceTokenRecord | null> {
    return (await this.#kv.get<DeviceTokenRecord>(authTokenKey(id))).value;
  }

  /**
   * The device tokens of a location that are still stored, oldest first (a revoked token's
   * record is deleted; an expired one may linger until the store drops it). Tokens are few and
   * keyed by id alone (every credential check reads one by id), so this reads them all and
   * keeps the location's: an index by location would miss the tokens issued before it.
   */
  async listDeviceTokens(locationId: string): Promise<DeviceTokenRecord[]> {
    const records: DeviceTokenRecord[] = [];
    for await (const entry of this.#kv.list<DeviceTokenRecord>({ prefix: authTokensPrefix() })) {
      if (entry.value.locationId === locationId) records.push(entry.value);
    }
    return records;
  }

  /** Revokes a device token: it is refused from then on. False when there was none. */
  async revokeDeviceToken(id: string, context: AuditContext): Promise<boolean> {
    const entry = await this.#kv.get<DeviceTokenRecord>(authTokenKey(id));
    if (!entry.value) return false;
    const record = entry.value;
    const op = this.#kv.atomic().delete(authTokenKey(id));
    audit(op, this.#kv, context, {
      scope: record.locationId,
      action: "device_token.revoke",
      target: { type: "device_token", id },
      before: { role: record.role, label: record.label, expiresAt: record.expiresAt },
    });
    await op.commit();
    return true;
  }

  /**
   * The token that lets a guest read and follow one order: `<locationId>.<kid>.<mac>`, so the
   * order can be found from its id and the token alone, and checked with the key that signed it.
   */
  orderToken(locationId: string, orderId: string): string {
    const key = this.#keys.current;
    return `${locationId}.${key.kid}.${orderMac(key.secret, locationId, orderId)}`;
  }

  /**
   * The location of the order that `token` opens, when it is that order's token; else null. A
   * token of two parts (`<locationId>.<mac>`, from before keys had ids) is the first key's.
   */
  async orderTokenLocation(orderId: string, token: string): Promise<string | null> {
    if (token.length > 200) return null;
    const parts = token.split(".");
    if (parts.length !== 2 && parts.length !== 3) return null;
    const locationId = parts[0];
    const kid = parts.length === 3 ? parts[1] : undefined;
    if (!locationId || kid === "") return null;
    const key = this.#keys.verifying(kid) ?? await this.#keys.verifyingFresh(kid);
    if (!key) return null;
    return timingSafeEqual(orderMac(key.secret, locationId, orderId), parts.at(-1)!)
      ? locationId
      : null;
  }
}

/**
 * An order token's MAC: HMAC-SHA256 of the order, computed synchronously (`node:crypto`), since it
 * runs once per placed order; its first 24 bytes, the first 32 characters of its base64url form.
 */
function orderMac(secret: Uint8Array, locationId: string, orderId: string): string {
  return createHmac("sha256", secret).update(`order:${locationId}:${orderId}`, "utf8")
    .digest("base64url").slice(0, 32);
}
