import { traceIdsOf } from '../telemetry';
import type { NewEvent } from '../events/types';
import type { JobRow } from '../sql/jobs';
import type { JobStatus } from './job-types';

/** A job as the API returns it. */
export interface JobView {
  id: string;
  type: string;
  status: JobStatus;
  payload: Record<string, unknown>;
  dedupeKey: string | null;
  priority: number;
  sessionId: string | null;
  projectId: string | null;
  requestedBy: string;
  source: string;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
  workerThreadId: string | null;
  workerTurnId: string | null;
  output: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  deadLetter: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export const toJobView = (r: JobRow): JobView => ({
  id: r.id,
  type: r.type,
  status: r.status,
  payload: r.payload,
  dedupeKey: r.dedupe_key,
  priority: r.priority,
  sessionId: r.session_id,
  projectId: r.project_id,
  requestedBy: r.requested_by,
  source: r.source,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  timeoutMs: r.timeout_ms,
  workerThreadId: r.worker_thread_id,
  workerTurnId: r.worker_turn_id,
  output: r.output,
  error: r.error,
  deadLetter: r.dead_letter,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  startedAt: r.started_at?.toISOString() ?? null,
  completedAt: r.completed_at?.toISOString() ?? null,
});

export type JobEventType =
  | 'job.queued'
  | 'job.started'
  | 'job.retrying'
  | 'job.completed'
  | 'job.failed'
  | 'job.canceled'
  | 'job.retried';

/**
 * One lifecycle step as an event. It carries the target session as `threadId` (so a client watching
 * a session sees the work done for it) and enough of the job to render it without a read.
 */
export function jobEvent(
  type: JobEventType,
  row: JobRow,
  source: string,
  extra: Record<string, unknown> = {},
): NewEvent {
  const e: NewEvent = {
    type,
    source,
    data: {
      jobId: row.id,
      jobType: row.type,
      status: row.status,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      requestedBy: row.requested_by,
      ...(row.dedupe_key ? { dedupeKey: row.dedupe_key } : {}),
      ...(row.project_id ? { projectId: row.project_id } : {}),
      ...extra,
    },
  };
  if (row.session_id) e.threadId = row.session_id;
  // A job's events belong to the trace of whoever queued it.
  const ids = traceIdsOf(row.trace_context);
  if (ids) Object.assign(e, ids);
  return e;
}
