/**
 * The typed errors of the domain. Routes and stores throw these; one handler (`routes/errors.ts`)
 * turns them into the contract's error body. Nothing else decides a status code.
 */

/** One field-level problem, `path` in dotted form (`items.0.quantity`). */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** An error a client caused or may see, with its HTTP status and a stable snake_case code. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** 400: the request could not be read at all. */
export function badRequest(message: string, code = "bad_request"): AppError {
  return new AppError(400, code, message);
}

/** 401: no credentials, or credentials we do not accept. */
export function unauthorized(
  message = "Missing or invalid credentials.",
  code = "unauthorized",
): AppError {
  return new AppError(401, code, message);
}

/** 403: authenticated, but this role may not do this. */
export function forbidden(
  message = "Your role does not allow this.",
  code = "forbidden",
): AppError {
  return new AppError(403, code, message);
}

/** 404: no such resource (or not one the caller may see). */
export function notFound(what: string): AppError {
  return new AppError(404, "not_found", `${what} was not found.`);
}

/** 409: the request conflicts with the current state. */
export function conflict(code: string, message: string, details?: ErrorDetail[]): AppError {
  return new AppError(409, code, message, details);
}

/** 413: the body is larger than we accept. */
export function payloadTooLarge(limitBytes: number): AppError {
  return new AppError(
    413,
    "payload_too_large",
    `The request body is larger than ${limitBytes} bytes.`,
  );
}

/** 415: the body is not JSON. */
export function unsupportedMediaType(): AppError {
  return new AppError(415, "unsupported_media_type", "Send the body as application/json.");
}

/** 422: the body parsed but does not describe a valid request. */
export function invalid(
  message: string,
  details?: ErrorDetail[],
  code = "validation_failed",
): AppError {
  return new AppError(422, code, message, details);
}

/** 503: the store is momentarily too contended; the client may retry. */
export function unavailable(message: string, retryAfterSeconds = 1): AppError {
  return new AppError(503, "unavailable", message, undefined, {
    "Retry-After": String(retryAfterSeconds),
  });
}
