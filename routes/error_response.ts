/** The one place that turns errors into HTTP statuses and the contract's error body. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import {
  AppError,
  badRequest,
  type ErrorDetail,
  type ErrorKind,
  invalid,
  tooLarge,
  unsupportedMediaType,
} from "../lib/errors.ts";

/** The HTTP status of each kind of error. */
const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  invalid: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/** The HTTP status of an error. */
export function statusOf(error: AppError): number {
  return STATUS[error.kind];
}

/** Hono's `onError`: typed errors keep their kind; anything unexpected is a logged 500. */
export function handleError(error: Error, c: Context): Response {
  const appError = toAppError(error);
  if (!appError) {
    console.error(`[error] ${c.req.method} ${c.req.path}`, error);
    return errorResponse(
      c,
      new AppError("internal", "internal_error", "Something went wrong on our side."),
    );
  }
  return errorResponse(c, appError);
}

/** The contract's error response for an `AppError`. */
export function errorResponse(c: Context, error: AppError): Response {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details?.length ? { details: error.details } : {}),
    },
  };
  const retryAfter = error.options.retryAfterSeconds;
  if (retryAfter !== undefined) c.header("Retry-After", String(Math.max(1, Math.ceil(retryAfter))));
  return c.json(body, statusOf(error) as 400);
}

/**
 * Zod issues as the contract's `details`. A field the schema does not know is named by its own
 * path (zod reports it on the enclosing object), so a client sees which field to drop.
 */
export function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
        path: [...issue.path, key].map(String).join("."),
        message: "Unknown field: it is not accepted here.",
      }))
      : [{ path: issue.path.map(String).join("."), message: issue.message }]
  ).slice(0, 50);
}

/** A validation failure of a request part: invalid for bodies, a bad request for query and path. */
export function validationError(target: string, error: ZodError): AppError {
  const details = zodDetails(error);
  if (target === "json") return invalid("The request body is not valid.", details);
  return new AppError(
    "bad_request",
    "invalid_parameters",
    `The request ${target === "param" ? "path" : target} is not valid.`,
    { details },
  );
}

/** Hono's own refusals (its body parser and limits) as the contract's errors. */
function toAppError(error: Error): AppError | null {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 415) return unsupportedMediaType();
    if (error.status === 400) {
      return badRequest("The request body is not valid JSON.", "malformed_json");
    }
    if (error.status === 413) return tooLarge("The request body is too large.");
    if (error.status < 500) return badRequest(error.message || "Bad request.");
  }
  return null;
}
