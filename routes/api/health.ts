/**
 * `GET /api/health`: whether the store answers, and the Postgres mirror's state and lag;
 * `GET /api/health/live` and `GET /api/health/ready` for orchestrators.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { readStatus } from "../../lib/mirror/status.ts";
import { jsonResponse, router } from "../openapi.ts";

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
  mirror: MirrorSchema,
  time: z.string(),
}).openapi("Health");

const ProbeSchema = z.object({ status: z.enum(["ok", "unavailable"]) }).openapi("Probe");

/** Whether the store answers within 2 s. */
async function storeAnswers(kv: Deno.Kv): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return await Promise.race([
    kv.get(["health"]).then(() => true, () => false),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), 2000)),
  ]).finally(() => clearTimeout(timer));
}

export const health = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags: ["system"],
      summary: "Health check",
      description: "200 whenever the store answers, whatever the mirror's state.",
      responses: {
        200: jsonResponse(HealthSchema, "The store answers."),
        503: jsonResponse(HealthSchema, "The store does not answer."),
      },
    }),
    async (c) => {
      const { kv, config } = c.get("services");
      const storeOk = await storeAnswers(kv);
      const mirror = storeOk ? await readStatus(kv, config.databaseUrl !== null) : {
        state: config.databaseUrl ? "down" as const : "off" as const,
        lagEvents: 0,
        lagSeconds: 0,
      };
      const time = new Date().toISOString();
      return storeOk
        ? c.json({ status: "ok" as const, store: "ok" as const, mirror, time }, 200)
        : c.json(
          { status: "unavailable" as const, store: "unavailable" as const, mirror, time },
          503,
        );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/health/live",
      tags: ["system"],
      summary: "Liveness: the process answers",
      responses: { 200: jsonResponse(ProbeSchema, "The process answers.") },
    }),
    (c) => c.json({ status: "ok" as const }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/health/ready",
      tags: ["system"],
      summary: "Readiness: the store answers and the process is not shutting down",
      responses: {
        200: jsonResponse(ProbeSchema, "Ready for traffic."),
        503: jsonResponse(ProbeSchema, "The store does not answer, or the process is stopping."),
      },
    }),
    async (c) => {
      const services = c.get("services");
      return !services.stopping && await storeAnswers(services.kv)
        ? c.json({ status: "ok" as const }, 200)
        : c.json({ status: "unavailable" as const }, 503);
    },
  );
