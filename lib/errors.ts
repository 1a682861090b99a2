/**
 * The typed errors of the domain. Code throws an `AppError` of a kind; one table in
 * `routes/error_response.ts` turns each kind into its HTTP status and the contract's error body.
 * Nothing else decides a status code.
 */

/** One field-level problem, `path` in dotted form (`items.0.quantity`). */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** What went wrong, as a client should understand it. Each kind has one HTTP status. */
export type ErrorKind =
  /** The request could not be read (bad JSON, bad query or path parameter, bad header). */
  | "bad_request"
  /** No credentials, or credentials we do not accept. */
  | "unauthorized"
  /** Authenticated, but not allowed to do this. */
  | "forbidden"
  /** No such resource, or not one the caller may see. */
  | "not_found"
  /** Conflicts with the current state (illegal move, stale version, unavailable item). */
  | "conflict"
  /** The body, or what it would be stored as, is larger than we accept. */
  | "too_large"
  /** The body is not JSON. */
  | "unsupported_media_type"
  /** The body parsed but does not describe a valid request. */
  | "invalid"
  /** Too many requests from this caller; `retryAfterSeconds` says when to try again. */
  | "rate_limited"
  /** Momentarily unable to answer (contention, shutting down); the client may retry. */
  | "unavailable"
  /** A fault of ours. */
  | "internal";

/** An error a client caused or may see, with a stable snake_case code. */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly options: { details?: ErrorDetail[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = "AppError";
  }

  /** Field-level problems, when there are some. */
  get details(): ErrorDetail[] | undefined {
    return this.options.details;
  }
}

/** The request could not be read at all (`details` names the parameters, when it helps). */
export function badRequest(
  message: string,
  code = "bad_request",
  details?: ErrorDetail[],
): AppError {
  return new AppError("bad_request", code, message, { details });
}

/** No credentials, or credentials we do not accept. */
export function unauthorized(
  message = "Missing or invalid credentials.",
  code = "unauthorized",
): AppError {
  return new AppError("unauthorized", code, message);
}

/** Authenticated, but this role may not do this. */
export function forbidden(
  message = "Your role does not allow this.",
  code = "forbidden",
): AppError {
  return new AppError("forbidden", code, message);
}

/** No such resource (or not one the caller may see). */
export function notFound(what: string): AppError {
  return new AppError("not_found", "not_found", `${what} was not found.`);
}

/** The request conflicts with the current state. */
export function conflict(code: string, message: string, details?: ErrorDetail[]): AppError {
  return new AppError("conflict", code, message, { details });
}

/** The body, or what it would be stored as, is larger than we accept. */
export function tooLarge(message: string, code = "payload_too_large"): AppError {
  return new AppError("too_large", code, message);
}

/** The body is not JSON. */
export function unsupportedMediaType(): AppError {
  return new AppError(
    "unsupported_media_type",
    "unsupported_media_type",
    "Send the body as application/json.",
  );
}

/** The body parsed but does not describe a valid request. */
export function invalid(
  message: string,
  details?: ErrorDetail[],
  code = "validation_failed",
): AppError {
  return new AppError("invalid", code, message, { details });
}

/** Too many requests; try again after `retryAfterSeconds`. */
export function rateLimited(message: string, retryAfterSeconds: number): AppError {
  return new AppError("rate_limited", "rate_limited", message, { retryAfterSeconds });
}

/** Momentarily unavailable (the store is contended); the client may retry. */
export function unavailable(
  message: string,
  retryAfterSeconds = 1,
  code = "unavailable",
): AppError {
  return new AppError("unavailable", code, message, { retryAfterSeconds });
}

/**
 * A setting or file the process cannot start with (a TLS certificate that does not load, say):
 * `main.ts` prints its message alone, without a stack trace, and exits with status 1. Tasks
 * (`tasks/`) use it for refusals they print the same way.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}
