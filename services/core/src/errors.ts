/**
 * Typed errors with a stable string `code`. Every edge (HTTP, CLI, JSON-RPC) turns them into its own
 * representation in exactly one place; see `toErrorBody` and `httpStatusFor`.
 */
export const ErrorCode = {
  invalidRequest: 'invalid_request',
  invalidJson: 'invalid_json',
  notFound: 'not_found',
  gone: 'gone',
  cursorExpired: 'cursor_expired',
  conflict: 'conflict',
  alreadyResolved: 'already_resolved',
  idempotencyKeyReused: 'idempotency_key_reused',
  idempotencyInProgress: 'idempotency_in_progress',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  locked: 'locked',
  tooManyRequests: 'too_many_requests',
  runtimeUnavailable: 'runtime_unavailable',
  runtimeTimeout: 'runtime_timeout',
  runtimeError: 'runtime_error',
  notSupported: 'not_supported',
  commandTimeout: 'command_timeout',
  queueFull: 'queue_full',
  queueUnavailable: 'queue_unavailable',
  extensionReloadFailed: 'extension_reload_failed',
  serviceUnavailable: 'service_unavailable',
  internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  not_found: 404,
  gone: 410,
  cursor_expired: 410,
  conflict: 409,
  already_resolved: 200,
  idempotency_key_reused: 422,
  idempotency_in_progress: 409,
  unauthorized: 401,
  forbidden: 403,
  locked: 423,
  too_many_requests: 429,
  runtime_unavailable: 503,
  runtime_timeout: 504,
  runtime_error: 502,
  not_supported: 501,
  command_timeout: 504,
  queue_full: 429,
  queue_unavailable: 503,
  extension_reload_failed: 422,
  service_unavailable: 503,
  internal_error: 500,
};

export interface AppErrorOptions {
  details?: Record<string, unknown>;
  suggestion?: string;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly suggestion: string | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.suggestion = options.suggestion;
  }

  get statusCode(): number {
    return STATUS[this.code];
  }

  toJSON(): ErrorBody {
    return toErrorBody(this);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; suggestion?: string };
}

export const httpStatusFor = (err: unknown): number => (err instanceof AppError ? err.statusCode : 500);

/** The one wire shape of an error: `{error:{code,message,details}}`. Internal errors never leak text. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof AppError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.details !== undefined) body.error.details = err.details;
    if (err.suggestion !== undefined) body.error.suggestion = err.suggestion;
    return body;
  }
  return { error: { code: ErrorCode.internal, message: 'Internal error; see the service log.' } };
}

/** At every `catch (e: unknown)`: make it an Error, keeping the original as `cause`. */
export function coerceError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : JSON.stringify(e), { cause: e });
}

export const notFound = (what: string, id: string): AppError =>
  new AppError(ErrorCode.notFound, `${what} ${id} was not found`, { details: { id } });

export const invalidRequest = (message: string, details?: Record<string, unknown>): AppError =>
  new AppError(ErrorCode.invalidRequest, message, details === undefined ? {} : { details });
