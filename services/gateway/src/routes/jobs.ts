import { z } from 'zod';
import {
  AppError,
  ErrorCode,
  JOB_STATUSES,
  isTerminal,
  notFound,
  parseCursor,
  parseStatuses,
  type JobQueue,
  type JobView,
  type Pool,
} from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';

export interface JobRouteDeps {
  pool: Pool;
  queue?: JobQueue | null;
  heartbeatStaleMs: number;
}

export const jobSchema = z.object({
  id: z.string(),
  type: z.string(),
  status: z.enum(JOB_STATUSES),
  payload: z.record(z.string(), z.unknown()),
  dedupeKey: z.string().nullable(),
  priority: z.number(),
  sessionId: z.string().nullable(),
  projectId: z.string().nullable(),
  requestedBy: z.string(),
  source: z.string(),
  attempts: z.number(),
  maxAttempts: z.number(),
  timeoutMs: z.number(),
  workerThreadId: z.string().nullable(),
  workerTurnId: z.string().nullable(),
  output: z.record(z.string(), z.unknown()).nullable(),
  error: z.record(z.string(), z.unknown()).nullable(),
  deadLetter: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
});

const idParams = z.object({ id: z.string().min(1) });
const listQuery = z.object({
  projectId: z.string().min(1).optional(),
  sessionId: z.string().min(1).optional(),
  status: z
    .string()
    .optional()
    .describe(`comma-separated: ${JOB_STATUSES.join(', ')}`),
  type: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});
const enqueueBody = z
  .object({
    type: z.string().min(1),
    payload: z.record(z.string(), z.unknown()),
    dedupeKey: z.string().min(1).max(300).optional(),
    priority: z.number().int().min(-100).max(100).optional(),
    sessionId: z.string().min(1).optional(),
    projectId: z.string().min(1).optional(),
  })
  .strict();
const runBody = z
  .object({
    /** How long to wait for the suggestion before answering 202 with the unfinished job. */
    waitMs: z.number().int().min(0).max(300_000).default(60_000),
  })
  .strict();

const jobBody = z.object({ job: jobSchema });

/**
 * Jobs: read, list, cancel, retry, enqueue; and the suggested-request job of a session, run (wait
 * for the suggestion) or enqueued. Reads work with the queue off; changes need it (503 otherwise).
 */
export function jobRoutes(deps: JobRouteDeps): RouteSpec[] {
  const queue = (): JobQueue => {
    if (!deps.queue?.enabled) {
      throw new AppError(ErrorCode.queueUnavailable, 'the job queue is turned off', {
        suggestion: 'start the services with CM_QUEUE_ENABLED=true',
      });
    }
    return deps.queue;
  };

  async function userSession(id: string): Promise<void> {
    const { rows } = await deps.pool.query<{ system_owned: boolean }>(
      'SELECT system_owned FROM sessions WHERE id = $1',
      [id],
    );
    if (!rows[0]) throw notFound('session', id);
    if (rows[0].system_owned)
      throw new AppError(ErrorCode.forbidden, `session ${id} is a system-owned worker session`);
  }

  async function workerAlive(): Promise<boolean> {
    const { rows } = await deps.pool.query(
      `SELECT 1 FROM service_heartbeats WHERE service = 'queue-worker' AND status = 'running'
         AND beat_at > now() - make_interval(secs => $1::double precision / 1000)`,
      [deps.heartbeatStaleMs],
    );
    return rows.length > 0;
  }

  /** One suggest-request job per session at a time: a second while one is unfinished is 409. */
  async function enqueueSuggestion(sessionId: string, req: Parameters<typeof originOf>[0]): Promise<JobView> {
    const q = queue();
    await userSession(sessionId);
    const origin = originOf(req);
    const { job, deduped } = await q.enqueue(
      'suggest-request',
      { sessionId },
      {
        dedupeKey: `suggest-request:${sessionId}`,
        sessionId,
        requestedBy: origin.actor,
        source: origin.source,
      },
    );
    if (deduped) {
      throw new AppError(
        ErrorCode.conflict,
        `a suggestion for session ${sessionId} is already ${job.status}`,
        {
          details: { jobId: job.id, status: job.status },
          suggestion: `wait for job ${job.id} (GET /api/jobs/${job.id})`,
        },
      );
    }
    return job;
  }

  async function waitFinished(id: string, waitMs: number): Promise<JobView> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const job = await queue().get(id);
      if (!job) throw notFound('job', id);
      if (isTerminal(job.status) || Date.now() >= deadline) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return [
    route({
      method: 'get',
      path: '/jobs',
      operationId: 'jobs.list',
      summary: 'List jobs, newest first (filters: project, session, status, type)',
      query: listQuery,
      responses: {
        200: {
          description: 'A page of jobs',
          schema: z.object({ jobs: z.array(jobSchema), nextCursor: z.string().nullable() }),
        },
      },
      async handler({ query }) {
        if (!deps.queue) throw new AppError(ErrorCode.queueUnavailable, 'the job queue is not available');
        const page = await deps.queue.list({
          projectId: query.projectId,
          sessionId: query.sessionId,
          status: parseStatuses(query.status),
          type: query.type,
          before: parseCursor(query.cursor),
          limit: query.limit,
        });
        return { body: page };
      },
    }),
    route({
      method: 'get',
      path: '/jobs/:id',
      operationId: 'jobs.get',
      summary: 'One job with its status, attempts, output or error',
      params: idParams,
      responses: { 200: { description: 'The job', schema: jobBody } },
      async handler({ params }) {
        const job = await deps.queue?.get(params.id);
        if (!job) throw notFound('job', params.id);
        return { body: { job } };
      },
    }),
    route({
      method: 'post',
      path: '/jobs',
      operationId: 'jobs.enqueue',
      summary:
        'Enqueue a job (payload checked against its type; a repeated dedupe key returns the unfinished job)',
      body: enqueueBody,
      responses: {
        202: { description: 'Queued', schema: z.object({ job: jobSchema, deduped: z.boolean() }) },
        429: { description: 'The queue is full' },
        503: { description: 'The queue is off' },
      },
      async handler({ body, req }) {
        const origin = originOf(req);
        if (body.sessionId) await userSession(body.sessionId);
        const r = await queue().enqueue(body.type, body.payload, {
          dedupeKey: body.dedupeKey,
          priority: body.priority,
          sessionId: body.sessionId,
          projectId: body.projectId,
          requestedBy: origin.actor,
          source: origin.source,
        });
        return { status: 202, body: r };
      },
    }),
    route({
      method: 'post',
      path: '/jobs/:id/cancel',
      operationId: 'jobs.cancel',
      summary: 'Cancel a queued or running job (a repeat is already_resolved; a finished job is 409)',
      params: idParams,
      responses: {
        200: {
          description: 'Canceled',
          schema: z.object({ job: jobSchema, outcome: z.enum(['canceled', 'already_resolved']) }),
        },
      },
      async handler({ params, req }) {
        return { body: await queue().cancel(params.id, originOf(req).actor) };
      },
    }),
    route({
      method: 'post',
      path: '/jobs/:id/retry',
      operationId: 'jobs.retry',
      summary: 'Queue a failed or canceled job again (409 for any other status)',
      params: idParams,
      responses: { 200: { description: 'Queued again', schema: jobBody } },
      async handler({ params, req }) {
        return { body: { job: await queue().retry(params.id, originOf(req).actor) } };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/suggest-request',
      operationId: 'jobs.suggestRequestRun',
      summary: "Suggest the session's next request now: runs the job and waits for it",
      description:
        '200 with the finished job and its suggestion; 202 with the job if it is still running after `waitMs`. ' +
        '409 while another suggestion for the session is unfinished, 429 when the queue is full, ' +
        '503 when the queue is off or no queue-worker is running.',
      params: idParams,
      body: runBody,
      responses: {
        200: {
          description: 'Finished',
          schema: z.object({ job: jobSchema, suggestion: z.string().nullable() }),
        },
        202: { description: 'Still running', schema: jobBody },
      },
      async handler({ params, body, req }) {
        queue();
        if (!(await workerAlive())) {
          throw new AppError(ErrorCode.queueUnavailable, 'no queue-worker is running to take the job', {
            suggestion: 'check /api/health; or enqueue it to run once a worker is back',
          });
        }
        const queued = await enqueueSuggestion(params.id, req);
        const job = await waitFinished(queued.id, body.waitMs);
        if (!isTerminal(job.status)) return { status: 202, body: { job } };
        const suggestion = typeof job.output?.suggestion === 'string' ? job.output.suggestion : null;
        return { body: { job, suggestion } };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/suggest-request/enqueue',
      operationId: 'jobs.suggestRequestEnqueue',
      summary: "Enqueue a suggestion of the session's next request (the result arrives as job.completed)",
      params: idParams,
      responses: {
        202: { description: 'Queued', schema: jobBody },
        409: { description: 'A suggestion for this session is unfinished' },
      },
      async handler({ params, req }) {
        return { status: 202, body: { job: await enqueueSuggestion(params.id, req) } };
      },
    }),
  ];
}
