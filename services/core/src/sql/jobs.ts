import type { JobStatus } from '../queue/job-types';

export const JOBS_CHANNEL = 'cm_jobs';
export const JOB_CANCEL_CHANNEL = 'cm_job_cancel';

export interface JobRow {
  id: string;
  /** W3C trace context of whoever queued the job (`{traceparent}`), or null. */
  trace_context: Record<string, string> | null;
  type: string;
  status: JobStatus;
  payload: Record<string, unknown>;
  dedupe_key: string | null;
  priority: number;
  session_id: string | null;
  project_id: string | null;
  requested_by: string;
  source: string;
  attempts: number;
  max_attempts: number;
  timeout_ms: number;
  worker_id: string | null;
  worker_thread_id: string | null;
  worker_turn_id: string | null;
  output: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  dead_letter: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

const UNFINISHED_SQL = `('queued', 'running', 'retrying')`;

export const insertJob = (j: {
  id: string;
  type: string;
  payload: unknown;
  dedupeKey: string | null;
  priority: number;
  sessionId: string | null;
  projectId: string | null;
  requestedBy: string;
  source: string;
  maxAttempts: number;
  timeoutMs: number;
  traceContext: Record<string, string> | null;
}) => ({
  text: `INSERT INTO jobs (id, type, status, payload, dedupe_key, priority, session_id, project_id,
           requested_by, source, max_attempts, timeout_ms, trace_context)
         VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (type, dedupe_key) WHERE dedupe_key IS NOT NULL AND status IN ${UNFINISHED_SQL}
         DO NOTHING
         RETURNING *`,
  values: [
    j.id,
    j.type,
    JSON.stringify(j.payload),
    j.dedupeKey,
    j.priority,
    j.sessionId,
    j.projectId,
    j.requestedBy,
    j.source,
    j.maxAttempts,
    j.timeoutMs,
    j.traceContext === null ? null : JSON.stringify(j.traceContext),
  ],
});

export const unfinishedByDedupeKey = (type: string, dedupeKey: string) => ({
  text: `SELECT * FROM jobs WHERE type = $1 AND dedupe_key = $2 AND status IN ${UNFINISHED_SQL}`,
  values: [type, dedupeKey],
});

export const countUnfinished = () => ({
  name: 'cm_count_unfinished_jobs',
  text: `SELECT count(*)::int AS n FROM jobs WHERE status IN ${UNFINISHED_SQL}`,
  values: [],
});

export const getJob = (id: string, forUpdate = false) => ({
  text: `SELECT * FROM jobs WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
  values: [id],
});

export interface JobListFilter {
  projectId?: string | undefined;
  sessionId?: string | undefined;
  status?: JobStatus[] | undefined;
  type?: string | undefined;
  /** Keyset cursor: only jobs older than this (created_at, id). */
  before?: { createdAt: string; id: string } | undefined;
  limit: number;
}

export function listJobs(f: JobListFilter) {
  const values: unknown[] = [];
  const where: string[] = [];
  const add = (sql: (n: number) => string, v: unknown) => {
    values.push(v);
    where.push(sql(values.length));
  };
  if (f.projectId) add((n) => `project_id = $${n}`, f.projectId);
  if (f.sessionId) add((n) => `session_id = $${n}`, f.sessionId);
  if (f.status && f.status.length > 0) add((n) => `status = ANY($${n}::text[])`, f.status);
  if (f.type) add((n) => `type = $${n}`, f.type);
  if (f.before) {
    values.push(f.before.createdAt, f.before.id);
    where.push(`(created_at, id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
  }
  values.push(f.limit);
  return {
    text: `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
    values,
  };
}

/** Types with a job waiting to run (queued, or retrying once its delay is over). */
export const waitingTypes = () => ({
  name: 'cm_waiting_job_types',
  text: `SELECT DISTINCT type FROM jobs WHERE status IN ('queued', 'retrying')`,
  values: [],
});

/** Marks fetched jobs running for this worker; only rows still waiting (a cancel may have won). */
export const markRunning = (ids: string[], workerId: string) => ({
  text: `UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = $2,
           worker_thread_id = NULL, worker_turn_id = NULL, started_at = now(), updated_at = now()
         WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'retrying')
         RETURNING *`,
  values: [ids, workerId],
});

export const recordWorkerTurn = (id: string, workerId: string, threadId: string, turnId: string | null) => ({
  text: `UPDATE jobs SET worker_thread_id = $3, worker_turn_id = $4, updated_at = now()
         WHERE id = $1 AND status = 'running' AND worker_id = $2`,
  values: [id, workerId, threadId, turnId],
});

/** Settles the running attempt of `workerId` (no row: the job was canceled or taken over). */
export const settleJob = (
  id: string,
  workerId: string,
  status: JobStatus,
  output: unknown,
  error: unknown,
  deadLetter: string | null,
) => ({
  text: `UPDATE jobs SET status = $3, output = COALESCE($4, output), error = $5, dead_letter = $6,
           updated_at = now(),
           completed_at = CASE WHEN $3 IN ('completed', 'failed', 'canceled') THEN now() ELSE NULL END
         WHERE id = $1 AND status = 'running' AND worker_id IS NOT DISTINCT FROM $2
         RETURNING *`,
  values: [
    id,
    workerId,
    status,
    output === null ? null : JSON.stringify(output),
    error === null ? null : JSON.stringify(error),
    deadLetter,
  ],
});

export const setStatus = (id: string, status: JobStatus, extra: { maxAttempts?: number } = {}) => ({
  text: `UPDATE jobs SET status = $2, updated_at = now(), max_attempts = COALESCE($3, max_attempts),
           completed_at = CASE WHEN $2 IN ('completed', 'failed', 'canceled') THEN now() ELSE NULL END,
           error = CASE WHEN $2 = 'queued' THEN NULL ELSE error END,
           dead_letter = CASE WHEN $2 = 'queued' THEN NULL ELSE dead_letter END
         WHERE id = $1 RETURNING *`,
  values: [id, status, extra.maxAttempts ?? null],
});

/** Running jobs claimed by another worker instance, with that instance's last heartbeat. */
export const runningElsewhere = (self: string) => ({
  text: `SELECT j.*, h.pid AS hb_pid, h.host AS hb_host, h.status AS hb_status,
                (extract(epoch FROM now() - h.beat_at) * 1000)::int AS hb_age_ms
         FROM jobs j LEFT JOIN service_heartbeats h ON h.instance_id = j.worker_id
         WHERE j.status = 'running' AND j.worker_id IS DISTINCT FROM $1`,
  values: [self],
});

export const statusCounts = () => ({
  name: 'cm_job_status_counts',
  text: `SELECT status, count(*)::int AS n FROM jobs WHERE status IN ${UNFINISHED_SQL} GROUP BY status`,
  values: [],
});
