/** Small builders for OpenAPI route definitions, so each route reads as what it does. */
import { createRoute, OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { Context, TypedResponse } from "hono";
import type { Permission } from "../lib/auth/roles.ts";
import { ErrorSchema } from "../lib/schemas.ts";
import { staff, type StaffOptions } from "./middleware/auth.ts";
import type { AppEnv } from "./state.ts";
import { validationError } from "./error_response.ts";

/** A router whose validation failures become contract errors (422 body, 400 query/path). */
export function router(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.target, result.error);
    },
  });
}

/** A JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } } as const;
}

/** A JSON response. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

/**
 * A JSON answer whose body is already encoded (lib/codec.ts), typed as the route's schema `T`:
 * the bytes were encoded from a value of that type, so nothing is stringified a second time.
 */
export function encodedJson<T, S extends 200 | 201>(
  c: Context,
  bytes: Uint8Array<ArrayBuffer>,
  status: S,
): TypedResponse<T, S, "json"> {
  const response = c.body(bytes, status, { "content-type": "application/json" });
  return response as unknown as TypedResponse<T, S, "json">;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request (bad JSON, bad query or path parameter).",
  401: "No or bad credentials.",
  403: "Authenticated, but this role may not do this.",
  404: "No such resource.",
  409: "Conflict with the current state.",
  413: "Body too large.",
  415: "Body is not application/json.",
  422: "Body parsed but invalid; `details` names the fields.",
  429: "Rate limited; see Retry-After.",
  503: "Temporarily unavailable; retry.",
};

/** The error responses a route may give, all in the one error shape. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, jsonResponse(ErrorSchema, ERROR_DESCRIPTIONS[status])]),
  );
}

/** Staff bearer-token security, for route definitions. */
export const staffSecurity: Record<string, string[]>[] = [{ bearer: [] }, { sessionCookie: [] }];

/**
 * `?location=<slug>`: which location a staff call acts on, for a token valid for several (the
 * bootstrap token). `staffOnly` reads it; this documents it and bounds it.
 */
export const locationQuery = {
  location: z.string().max(64).optional().openapi({
    description: "The slug of the location to act on, for a token valid for several " +
      "(default, also when empty: the token's own location, or the first created). 404 when " +
      "no location has this slug; 403 when the token is not valid for it.",
  }),
};

/** A query of `?location=` and `extra` parameters, for a staff route. */
export function staffQuery<T extends z.ZodRawShape>(extra: T = {} as T) {
  return z.object({ ...locationQuery, ...extra });
}

/**
 * A staff route: the route as given, declared with staff security and guarded by
 * `staff(permission)`, so its handler knows the principal and the location.
 */
export function staffRoute<const R extends Omit<RouteConfig, "security" | "middleware">>(
  permission: Permission,
  route: R,
  options: StaffOptions = {},
) {
  // Whatever the route: no or a bad credential (401), a role without the permission (403), and
  // an unknown `?location=` (404) are answers it can give.
  const refusals = errorResponses(
    ...[401, 403, ...(options.noLocation ? [] : [404])].filter((s) => !(s in route.responses)),
  );
  return createRoute({
    ...route,
    responses: { ...route.responses, ...refusals },
    security: options.allowQueryToken ? [...staffSecurity, {}] : staffSecurity,
    middleware: [staff(permission, options)] as const,
  });
}

/** A query parameter for which an empty value (`?status=`) means the same as leaving it out. */
export function blankIsAbsent<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => value === "" ? undefined : value, schema);
}
