/** The order lifecycle (lib/orders/lifecycle.ts) and the role grants (lib/auth/roles.ts). */
import assert from "node:assert/strict";
import {
  isOpen,
  judgeMove,
  OPEN_STATUSES,
  ORDER_STATUSES,
  type OrderStatus,
} from "../../lib/orders/lifecycle.ts";
import { can, outranksOrEquals, type Permission, type Role, ROLES } from "../../lib/auth/roles.ts";

/** The contract's moves, and the line roles (besides owner and manager) that may make each. */
const EXPECTED: Record<string, Role[]> = {
  "pending>queued": ["server"],
  "pending>cancelled": ["server"],
  "queued>cancelled": ["server"],
  "queued>preparing": ["kitchen"],
  "preparing>ready": ["kitchen"],
  "ready>delivered": ["server"],
  // Recall (API.md v1.1 widens v1's moves by this one).
  "ready>preparing": ["kitchen"],
  "delivered>closed": ["server"],
};

Deno.test("[lifecycle] judgeMove()", async (t) => {
  await t.step("covers all 7 statuses", () => {
    assert.deepEqual([...ORDER_STATUSES].sort(), [
      "cancelled",
      "closed",
      "delivered",
      "pending",
      "preparing",
      "queued",
      "ready",
    ]);
  });

  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      const lineRoles = EXPECTED[`${from}>${to}`];
      await t.step(`${from}→${to}`, () => {
        for (const role of ROLES) {
          const expected = !lineRoles
            ? "illegal"
            : role === "owner" || role === "manager" || lineRoles.includes(role)
            ? "allowed"
            : "forbidden";
          assert.equal(judgeMove(from, to, role), expected, `${role}: ${from}→${to}`);
        }
      });
    }
  }

  await t.step("only closed and cancelled are final", () => {
    const open: OrderStatus[] = ORDER_STATUSES.filter(isOpen);
    assert.deepEqual(open, ["pending", "queued", "preparing", "ready", "delivered"]);
    assert.deepEqual(OPEN_STATUSES, open);
  });
});

Deno.test("[roles] can()", async (t) => {
  const EXPECTED_GRANTS: Record<Permission, Role[]> = {
    "orders.read": ["owner", "manager", "server", "kitchen"],
    "kitchen.stream": ["owner", "manager", "server", "kitchen"],
    "tables.manage": ["owner", "manager", "server"],
    "menu.write": ["owner", "manager"],
    "menu.availability": ["owner", "manager", "kitchen"],
    "locations.manage": ["owner"],
    "tokens.manage": ["owner", "manager"],
    "analytics.read": ["owner", "manager"],
    "webhooks.manage": ["owner", "manager"],
    "kitchen.lines": ["owner", "manager", "kitchen"],
    "settings.manage": ["owner", "manager"],
    "requests.manage": ["owner", "manager", "server"],
    "staff.read_self": ["owner", "manager", "server", "kitchen"],
    "staff.manage": ["owner", "manager"],
    "audit.read": ["owner", "manager"],
  };
  for (const [permission, roles] of Object.entries(EXPECTED_GRANTS)) {
    await t.step(permission, () => {
      for (const role of ROLES) {
        assert.equal(can(role, permission as Permission), roles.includes(role), `${role}`);
      }
    });
  }

  await t.step("outranksOrEquals: owner > manager > server, kitchen", () => {
    const rank: Record<Role, number> = { owner: 3, manager: 2, server: 1, kitchen: 1 };
    for (const a of ROLES) {
      for (const b of ROLES) assert.equal(outranksOrEquals(a, b), rank[a] >= rank[b], `${a} ${b}`);
    }
  });
});
