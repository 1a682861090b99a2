/** `GET /api/health`: whether the store answers. */
import { createRoute, z } from "@hono/zod-openapi";
import { jsonResponse, router } from "../openapi.ts";

const HealthSchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  store: z.enum(["ok", "unavailable"]),
  time: z.string(),
}).openapi("Health");

export const health = router().openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["system"],
    summary: "Health check",
    responses: {
      200: jsonResponse(HealthSchema, "The store answers."),
      503: jsonResponse(HealthSchema, "The store does not answer."),
    },
  }),
  async (c) => {
    const kv = c.get("services").kv;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const storeOk = await Promise.race([
      kv.get(["health"]).then(() => true, () => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), 2000)),
    ]).finally(() => clearTimeout(timer));
    const time = new Date().toISOString();
    return storeOk
      ? c.json({ status: "ok" as const, store: "ok" as const, time }, 200)
      : c.json({ status: "unavailable" as const, store: "unavailable" as const, time }, 503);
  },
);
