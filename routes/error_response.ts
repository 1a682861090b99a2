/** The one place that turns errors into the contract's error body and status. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import {
  AppError,
  badRequest,
  type ErrorDetail,
  invalid,
  unsupportedMediaType,
} from "../lib/errors.ts";

/** Hono's `onError`: typed errors keep their status; anything unexpected is a logged 500. */
export function handleError(error: Error, c: Context): Response {
  const appError = toAppError(error);
  if (!appError) {
    console.error(`[error] ${c.req.method} ${c.req.path}`, error);
    return errorResponse(
      c,
      new AppError(500, "internal_error", "Something went wrong on our side."),
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
  for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
  return c.json(body, error.status as 400);
}

/** Zod issues as the contract's `details`. */
export function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.slice(0, 50).map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/** A validation failure of a request part: 422 for bodies, 400 for query and path. */
export function validationError(target: string, error: ZodError): AppError {
  const details = zodDetails(error);
  if (target === "json") return invalid("The request body is not valid.", details);
  return new AppError(
    400,
    "invalid_parameters",
    `The request ${target === "param" ? "path" : target} is not valid.`,
    details,
  );
}

function toAppError(error: Error): AppError | null {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 415) return unsupportedMediaType();
    if (error.status === 400) {
      return badRequest("The request body is not valid JSON.", "malformed_json");
    }
    if (error.status === 413) {
      return new AppError(413, "payload_too_large", "The request body is too large.");
    }
    if (error.status < 500) {
      return new AppError(error.status, "bad_request", error.message || "Bad request.");
    }
  }
  return null;
}
