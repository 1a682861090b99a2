/** Structured request logs (`SEATSERVE_LOG=json`): one JSON object a line, without secrets. */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../state.ts";

/**
 * The path as it may be logged: without the query (it carries order tokens and
 * `?access_token=`) and with the guest page's table token (`/t/<token>`) blanked.
 */
export function loggablePath(path: string): string {
  return path.replace(/^\/t\/[^/]+/, "/t/<token>").slice(0, 256);
}

/** One log line of a request, after its answer: who (address, id), what, how it went. */
export interface RequestLogLine {
  at: string;
  level: "info" | "warn" | "error";
  msg: "request";
  requestId: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  address: string;
  /** The refusal's code, for errors. */
  code?: string;
}

/** Writes a line per request with `write` (stdout by default); headers and bodies never. */
export function requestLog(options: { write?: (line: string) => void } = {}) {
  const write = options.write ?? ((line: string) => console.log(line));
  return createMiddleware<AppEnv>(async function logRequest(c, next) {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const error = c.error as { code?: unknown } | undefined;
    const line: RequestLogLine = {
      at: new Date().toISOString(),
      level: status >= 500 ? "error" : status >= 400 ? "warn" : "info",
      msg: "request",
      requestId: c.get("requestId"),
      method: c.req.method,
      path: loggablePath(c.req.path),
      status,
      ms: Math.round((performance.now() - started) * 100) / 100,
      address: c.get("clientAddress"),
      ...(typeof error?.code === "string" ? { code: error.code } : {}),
    };
    write(JSON.stringify(line));
  });
}
