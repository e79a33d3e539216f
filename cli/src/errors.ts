import { CommanderError } from 'commander';

/**
 * Exit codes by error class, so scripts can branch on `$?` without parsing output. Shared with the
 * Python SDK's exception classes (see docs/cli.md).
 */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  auth: 5,
  unavailable: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** HTTP status → exit code: 400/422 usage, 404/410 not found, 409/423 conflict, 401/403 auth, 429/5xx unavailable. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status < 400) return ExitCode.ok;
  if (status === 400 || status === 422) return ExitCode.usage;
  if (status === 404 || status === 410) return ExitCode.notFound;
  if (status === 409 || status === 423) return ExitCode.conflict;
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 429 || status >= 500) return ExitCode.unavailable;
  return ExitCode.unexpected;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; suggestion?: string };
}

export interface CliErrorOptions {
  exitCode?: ExitCode;
  status?: number;
  details?: Record<string, unknown>;
  suggestion?: string;
  cause?: unknown;
  /** The response body of a failed call that is not an `{error}` document (e.g. a 503 health report). */
  body?: unknown;
  /** Already reported to the user: only the exit code remains to be set. */
  silent?: boolean;
}

/**
 * Every failure the CLI reports: API errors keep the server's code, message, details and suggestion;
 * local ones (usage, connection, profiles) get codes of their own. `toJSON()` is the API's error shape.
 */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly status: number | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly suggestion: string | undefined;
  readonly body: unknown;
  readonly silent: boolean;

  constructor(code: string, message: string, opts: CliErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CliError';
    this.code = code;
    this.status = opts.status;
    this.exitCode = opts.exitCode ?? (opts.status ? exitCodeForStatus(opts.status) : ExitCode.unexpected);
    this.details = opts.details;
    this.suggestion = opts.suggestion;
    this.body = opts.body;
    this.silent = opts.silent ?? false;
  }

  toJSON(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details) error.details = this.details;
    if (this.suggestion) error.suggestion = this.suggestion;
    return { error };
  }
}

export const usageError = (message: string, suggestion?: string, details?: Record<string, unknown>) =>
  new CliError('usage', message, {
    exitCode: ExitCode.usage,
    ...(suggestion ? { suggestion } : {}),
    details,
  });

/** An error answer of the API: `{error: {code, message, details?, suggestion?}}` or any other body. */
export function apiError(status: number, body: unknown, text: string): CliError {
  const e = (body as Partial<ErrorBody> | null)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    return new CliError(e.code, e.message, {
      status,
      ...(e.details ? { details: e.details } : {}),
      ...(e.suggestion ? { suggestion: e.suggestion } : {}),
    });
  }
  const snippet = typeof body === 'string' && text.trim() ? `: ${text.trim().slice(0, 300)}` : '';
  return new CliError(`http_${status}`, `the server answered HTTP ${status}${snippet}`, {
    status,
    ...(body !== undefined && body !== null ? { body } : {}),
  });
}

// Node's fetch wraps socket failures in a TypeError whose cause carries the errno code.
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Coerce anything thrown into a CliError, keeping the original as `cause`. */
export function coerceError(err: unknown, context: { url?: string } = {}): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof CommanderError) return commanderError(err);
  // Duck-typed: DOMExceptions (timeouts, aborts) may come from another realm than this Error.
  const e =
    err instanceof Error || (typeof err === 'object' && err !== null && 'name' in err && 'message' in err)
      ? (err as Error)
      : new Error(String(err));
  if (e.name === 'TimeoutError') {
    return new CliError('timeout', `no answer from ${context.url ?? 'the server'} in time`, {
      exitCode: ExitCode.unavailable,
      suggestion: 'raise --timeout <ms>, or check `cmgr doctor`',
      cause: e,
    });
  }
  const cause = e.cause as { code?: string; message?: string } | undefined;
  const code = cause?.code ?? (e as { code?: string }).code;
  // fetch reports every transport failure as "fetch failed" with the reason in `cause`.
  if ((code && UNREACHABLE.has(code)) || e.message === 'fetch failed') {
    const why = code ?? cause?.message ?? 'connection failed';
    return new CliError('connection_failed', `cannot reach ${context.url ?? 'the server'} (${why})`, {
      exitCode: ExitCode.unavailable,
      suggestion:
        'is Codex Manager running? Start it with `npm start`, or point the CLI elsewhere with --url or --profile',
      cause: e,
    });
  }
  return new CliError('unexpected', e.message || String(err), { exitCode: ExitCode.unexpected, cause: e });
}

function commanderError(err: CommanderError): CliError {
  const message = err.message.replace(/^error:\s*/, '');
  if (err.exitCode === 0) return new CliError('ok', message, { exitCode: ExitCode.ok, silent: true });
  // `cmgr sessions` without a subcommand prints the group's help to stderr: a usage error too.
  const silent = err.code === 'commander.help' || err.code === 'commander.helpDisplayed';
  return new CliError('usage', message, {
    exitCode: ExitCode.usage,
    silent,
    suggestion: 'add --help to any command for its usage',
    details: { reason: err.code },
  });
}
