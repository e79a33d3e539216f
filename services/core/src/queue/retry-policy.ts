import { AppError } from '../errors';

export type FailureClass = 'retryable' | 'fatal';

/** What a job attempt failed with, as stored in `jobs.error` and sent in `job.*` events. */
export interface JobError {
  code: string;
  message: string;
  class: FailureClass;
  details?: Record<string, unknown>;
}

/**
 * Whether a failed attempt may be retried, decided from the error's stable code (our error codes,
 * job-specific codes, PostgreSQL SQLSTATEs) and never from message text. Anything not listed is
 * retryable: retries are bounded, and a transient fault we did not foresee should not lose work.
 */
export const FAILURE_CLASSES: Record<string, FailureClass> = {
  // The runtime or the database was briefly away: try again.
  runtime_unavailable: 'retryable',
  runtime_timeout: 'retryable',
  runtime_error: 'retryable',
  command_timeout: 'retryable',
  job_timeout: 'retryable',
  worker_lost: 'retryable',
  worker_stopped: 'retryable',
  turn_failed: 'retryable',
  turn_interrupted: 'retryable',
  webhook_failed: 'retryable', // a network error, a timeout, a 5xx, 408, 425 or 429 from a webhook target
  '08000': 'retryable', // connection_exception
  '08003': 'retryable', // connection_does_not_exist
  '08006': 'retryable', // connection_failure
  '40001': 'retryable', // serialization_failure
  '40P01': 'retryable', // deadlock_detected
  '57P01': 'retryable', // admin_shutdown
  // The job itself is wrong or cannot apply: retrying cannot help.
  invalid_request: 'fatal',
  invalid_payload: 'fatal',
  unknown_job_type: 'fatal',
  not_found: 'fatal',
  gone: 'fatal',
  forbidden: 'fatal',
  not_supported: 'fatal',
  conflict: 'fatal',
  webhook_rejected: 'fatal', // any other non-2xx answer: the target refuses the delivery
  '22P02': 'fatal', // invalid_text_representation
  '23502': 'fatal', // not_null_violation
};

export const classifyCode = (code: string): FailureClass => FAILURE_CLASSES[code] ?? 'retryable';

/** A job failure with a code of its own (`job_timeout`, `turn_failed`, …). */
export class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}

/** Any thrown value as a `JobError`: our `AppError`s, `JobFailure`s and pg errors keep their code. */
export function toJobError(e: unknown): JobError {
  if (e instanceof AppError || e instanceof JobFailure) {
    return {
      code: e.code,
      message: e.message,
      class: classifyCode(e.code),
      ...(e.details ? { details: e.details } : {}),
    };
  }
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : 'error';
  const message = typeof err?.message === 'string' ? err.message : String(e);
  return { code, message, class: classifyCode(code) };
}
