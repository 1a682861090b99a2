/**
 * Health: `GET /api/health` (the store answers; how backups go; the Postgres mirror's state and
 * lag), `GET /api/health/live` (the process answers) and `GET /api/health/ready` (the store answers
 * and the process is neither starting nor draining), for orchestrators and load balancers.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { readStatus } from "../../lib/mirror/status.ts";
import { jsonResponse, router } from "../openapi.ts";

const BackupSchema = z.object({
  state: z.enum(["off", "pending", "ok", "failed"]),
  lastAt: z.string().nullable(),
  lastFile: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  error: z.string().nullable(),
}).openapi("BackupStatus");
const MirrorSchema = z.object({
  state: z.enum(["off", "ok", "behind", "down"]).openapi({
    description: "off: no DATABASE_URL; ok: caught up; behind: lagging by 5 s or more; " +
      "down: Postgres, or the mirror's worker, does not answer. Orders are taken in every state.",
  }),
  lagEvents: z.number().int().openapi({
    description: "Changes committed and not yet in Postgres, over all locations.",
  }),
  lagSeconds: z.number().openapi({
    description: "Age of the oldest change not yet in Postgres (0 when none).",
  }),
}).openapi("MirrorHealth");

const HealthSchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  store: z.enum(["ok", "unavailable"]),
  phase: z.enum(["starting", "ready", "draining"]),
  backup: BackupSchema,
  mirror: MirrorSchema,
  time: z.string(),
}).openapi("Health");

const ProbeSchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  reason: z.string().optional(),
}).openapi("Probe");

/** Whether the store answers a read within 2 s. */
async function storeAnswers(kv: Deno.Kv): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return await Promise.race([
    kv.get(["health"]).then(() => true, () => false),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), 2000)),
  ]).finally(() => clearTimeout(timer));
}

export const health = router().openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["system"],
    summary: "Health check",
    description: "200 when the store answers, 503 otherwise; `backup` says how the scheduled " +
      "backups go (`failed` with the error when the last one failed), `mirror` the Postgres " +
      "mirror's state and lag (orders are taken whatever its state).",
    responses: {
      200: jsonResponse(HealthSchema, "The store answers."),
      503: jsonResponse(HealthSchema, "The store does not answer."),
    },
  }),
  async (c) => {
    const { kv, readiness, backups, config } = c.get("services");
    const ok = await storeAnswers(kv);
    const mirror = ok ? await readStatus(kv, config.databaseUrl !== null) : {
      state: config.databaseUrl ? "down" as const : "off" as const,
      lagEvents: 0,
      lagSeconds: 0,
    };
    const body = {
      status: ok ? "ok" as const : "unavailable" as const,
      store: ok ? "ok" as const : "unavailable" as const,
      phase: readiness.phase,
      backup: backups.status,
      mirror,
      time: new Date().toISOString(),
    };
    return ok ? c.json(body, 200) : c.json(body, 503);
  },
).openapi(
  createRoute({
    method: "get",
    path: "/health/live",
    tags: ["system"],
    summary: "Liveness: the process answers",
    responses: { 200: jsonResponse(ProbeSchema, "The process answers.") },
  }),
  (c) => c.json({ status: "ok" as const }, 200),
).openapi(
  createRoute({
    method: "get",
    path: "/health/ready",
    tags: ["system"],
    summary: "Readiness: send traffic here",
    description: "503 while the process starts or drains for shutdown, or when the store does " +
      "not answer within 2 s.",
    responses: {
      200: jsonResponse(ProbeSchema, "Ready."),
      503: jsonResponse(ProbeSchema, "Not ready; `reason` says why."),
    },
  }),
  async (c) => {
    const { kv, readiness } = c.get("services");
    if (readiness.phase !== "ready") {
      return c.json({ status: "unavailable" as const, reason: readiness.phase }, 503);
    }
    if (!(await storeAnswers(kv))) {
      return c.json({ status: "unavailable" as const, reason: "store" }, 503);
    }
    return c.json({ status: "ok" as const }, 200);
  },
);
