import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { AppError, ErrorCode, invalidRequest, notFound } from '../errors';
import { EventLog } from '../events/event-log';
import type { Logger } from '../logger';
import { injectTrace } from '../telemetry';
import {
  JOBS_CHANNEL,
  JOB_CANCEL_CHANNEL,
  countUnfinished,
  getJob,
  insertJob,
  listJobs,
  setStatus,
  statusCounts,
  unfinishedByDedupeKey,
  type JobListFilter,
  type JobRow,
} from '../sql/jobs';
import { bossDb, startBoss } from './boss';
import { DEAD_LETTER_QUEUE, JOB_STATUSES, type JobStatus, type JobTypeRegistry } from './job-types';
import { jobEvent, toJobView, type JobView } from './job-view';

export interface EnqueueOptions {
  /** At most one unfinished job per (type, dedupeKey): a repeat returns the existing job. */
  dedupeKey?: string | undefined;
  priority?: number | undefined;
  sessionId?: string | undefined;
  projectId?: string | undefined;
  /** Who asked: a user, `extension:<name>` or `system`. */
  requestedBy: string;
  /** Which client or service: `api`, `web`, `extension-host`, … */
  source: string;
  maxAttempts?: number | undefined;
  timeoutMs?: number | undefined;
}

export interface JobQueueOptions {
  pool: Pool;
  types: JobTypeRegistry;
  /** `CM_QUEUE_ENABLED`: when false, enqueue refuses with 503. */
  enabled: boolean;
  /** `CM_QUEUE_MAX_PENDING`: unfinished jobs beyond which enqueue refuses with 429. */
  maxPending: number;
  /** The service appending `job.*` events. */
  source: string;
  supervise?: boolean;
  log?: Logger;
}

// Serialises enqueues so the queue-full check and the insert see the same count.
const ENQUEUE_LOCK = 727_100_006;

/**
 * The queue as every service sees it: enqueue (validated, deduped, bounded), read, cancel and retry.
 * Each change is one transaction over the `jobs` row, the pg-boss job and a `job.*` event; a NOTIFY
 * on `cm_jobs` wakes the queue-worker at once instead of at its next poll.
 */
export class JobQueue {
  readonly events: EventLog;

  private constructor(
    readonly opts: JobQueueOptions,
    readonly boss: PgBoss | null,
  ) {
    this.events = new EventLog(opts.pool);
  }

  /** Starts pg-boss (creating its schema and one queue per job type) unless the queue is off. */
  static async start(opts: JobQueueOptions): Promise<JobQueue> {
    const boss = opts.enabled
      ? await startBoss(opts.pool, opts.types, {
          supervise: opts.supervise ?? false,
          ...(opts.log ? { log: opts.log } : {}),
        })
      : null;
    return new JobQueue(opts, boss);
  }

  async stop(): Promise<void> {
    await this.boss?.stop({ graceful: false, close: false });
  }

  get enabled(): boolean {
    return this.boss !== null;
  }

  #boss(): PgBoss {
    if (!this.boss) {
      throw new AppError(ErrorCode.queueUnavailable, 'the job queue is turned off', {
        suggestion: 'start the services with CM_QUEUE_ENABLED=true',
      });
    }
    return this.boss;
  }

  async enqueue(
    type: string,
    payload: unknown,
    opts: EnqueueOptions,
  ): Promise<{ job: JobView; deduped: boolean }> {
    const boss = this.#boss();
    const def = this.opts.types[type];
    if (!def) {
      throw invalidRequest(`unknown job type ${type}`, { known: Object.keys(this.opts.types) });
    }
    const parsed = def.payload.safeParse(payload);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: ['payload', ...i.path].join('.'),
        message: i.message,
      }));
      throw invalidRequest(
        `invalid ${type} payload: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        { issues },
      );
    }
    const maxAttempts = opts.maxAttempts ?? def.maxAttempts;
    const timeoutMs = opts.timeoutMs ?? def.timeoutMs;
    const id = randomUUID();
    const traceContext = injectTrace();
    return withTransaction(this.opts.pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ENQUEUE_LOCK]);
      if (opts.dedupeKey) {
        const existing = await tx.query<JobRow>(unfinishedByDedupeKey(type, opts.dedupeKey));
        if (existing.rows[0]) return { job: toJobView(existing.rows[0]), deduped: true };
      }
      const { rows: count } = await tx.query<{ n: number }>(countUnfinished());
      if ((count[0]?.n ?? 0) >= this.opts.maxPending) {
        throw new AppError(
          ErrorCode.queueFull,
          `the queue is full: ${this.opts.maxPending} jobs are already waiting or running`,
          {
            details: { maxPending: this.opts.maxPending },
            suggestion: 'retry later, or raise CM_QUEUE_MAX_PENDING',
          },
        );
      }
      const { rows } = await tx.query<JobRow>(
        insertJob({
          id,
          type,
          payload: parsed.data,
          dedupeKey: opts.dedupeKey ?? null,
          priority: opts.priority ?? def.priority,
          sessionId: opts.sessionId ?? null,
          projectId: opts.projectId ?? null,
          requestedBy: opts.requestedBy,
          source: opts.source,
          maxAttempts,
          timeoutMs,
          traceContext,
        }),
      );
      const row = rows[0]!;
      await boss.send(type, parsed.data as object, {
        id,
        priority: row.priority,
        retryLimit: maxAttempts - 1,
        retryDelay: def.retryDelaySeconds,
        retryBackoff: def.backoff,
        // pg-boss expires an active job only as a backstop for a worker that vanished without a
        // trace; our own timeout (timeoutMs) fires first and the recovery sweep is faster still.
        expireInSeconds: Math.ceil(timeoutMs / 1000) + 60,
        deadLetter: DEAD_LETTER_QUEUE,
        ...(opts.dedupeKey ? { singletonKey: opts.dedupeKey } : {}),
        db: bossDb(tx),
      });
      await this.events.append([jobEvent('job.queued', row, this.opts.source)], tx);
      await tx.query(`SELECT pg_notify('${JOBS_CHANNEL}', $1)`, [type]);
      return { job: toJobView(row), deduped: false };
    });
  }

  async get(id: string): Promise<JobView | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.opts.pool.query<JobRow>(getJob(id));
    return rows[0] ? toJobView(rows[0]) : null;
  }

  async list(filter: JobListFilter): Promise<{ jobs: JobView[]; nextCursor: string | null }> {
    const { rows } = await this.opts.pool.query<JobRow>(listJobs({ ...filter, limit: filter.limit + 1 }));
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > filter.limit && last
        ? Buffer.from(`${last.created_at.toISOString()}|${last.id}`).toString('base64url')
        : null;
    return { jobs: page.map(toJobView), nextCursor };
  }

  /**
   * Cancels an unfinished job (a running one is told to stop through NOTIFY cm_job_cancel). A
   * repeat is `already_resolved`; cancelling a job that already completed or failed is 409.
   */
  async cancel(
    id: string,
    actor: string,
  ): Promise<{ job: JobView; outcome: 'canceled' | 'already_resolved' }> {
    const boss = this.#boss();
    return withTransaction(this.opts.pool, async (tx) => {
      const row = await this.#lock(tx, id);
      if (row.status === 'canceled') return { job: toJobView(row), outcome: 'already_resolved' as const };
      if (row.status === 'completed' || row.status === 'failed') {
        throw new AppError(ErrorCode.conflict, `job ${id} already ${row.status}`, {
          details: { id, status: row.status },
        });
      }
      await boss.cancel(row.type, id, { db: bossDb(tx) });
      const { rows } = await tx.query<JobRow>(setStatus(id, 'canceled'));
      const updated = rows[0]!;
      await this.events.append(
        [jobEvent('job.canceled', updated, this.opts.source, { previousStatus: row.status, actor })],
        tx,
      );
      await tx.query(`SELECT pg_notify('${JOB_CANCEL_CHANNEL}', $1)`, [id]);
      return { job: toJobView(updated), outcome: 'canceled' as const };
    });
  }

  /** Queues a failed or canceled job again (one more attempt for a failed one). */
  async retry(id: string, actor: string): Promise<JobView> {
    const boss = this.#boss();
    return withTransaction(this.opts.pool, async (tx) => {
      const row = await this.#lock(tx, id);
      if (row.status !== 'failed' && row.status !== 'canceled') {
        throw new AppError(
          ErrorCode.conflict,
          `job ${id} is ${row.status}; only failed or canceled jobs can be retried`,
          {
            details: { id, status: row.status },
          },
        );
      }
      if (row.dedupe_key) {
        const dup = await tx.query<JobRow>(unfinishedByDedupeKey(row.type, row.dedupe_key));
        if (dup.rows[0]) {
          throw new AppError(
            ErrorCode.conflict,
            `job ${dup.rows[0].id} with the same dedupe key is unfinished`,
            {
              details: { id, duplicateOf: dup.rows[0].id, dedupeKey: row.dedupe_key },
            },
          );
        }
      }
      const db = bossDb(tx);
      // pg-boss's typings say void; at run time these return `{jobs, requested, affected}`.
      const moved = (row.status === 'failed'
        ? await boss.retry(row.type, id, { db })
        : await boss.resume(row.type, id, { db })) as unknown as { affected: number };
      if (moved.affected === 0) {
        // pg-boss archived the job already: queue it afresh under the same id.
        await boss.send(row.type, row.payload, {
          id,
          priority: row.priority,
          retryLimit: 0,
          expireInSeconds: Math.ceil(row.timeout_ms / 1000) + 60,
          deadLetter: DEAD_LETTER_QUEUE,
          db,
        });
      }
      const maxAttempts = row.status === 'failed' || moved.affected === 0 ? row.attempts + 1 : undefined;
      const { rows } = await tx.query<JobRow>(
        setStatus(id, 'queued', maxAttempts === undefined ? {} : { maxAttempts }),
      );
      const updated = rows[0]!;
      await this.events.append(
        [jobEvent('job.retried', updated, this.opts.source, { previousStatus: row.status, actor })],
        tx,
      );
      await tx.query(`SELECT pg_notify('${JOBS_CHANNEL}', $1)`, [row.type]);
      return toJobView(updated);
    });
  }

  /** Unfinished jobs by status (for /api/health and the queue-full check's callers). */
  async depth(): Promise<Record<'queued' | 'running' | 'retrying', number>> {
    const { rows } = await this.opts.pool.query<{ status: JobStatus; n: number }>(statusCounts());
    const out = { queued: 0, running: 0, retrying: 0 };
    for (const r of rows) if (r.status in out) out[r.status as keyof typeof out] = r.n;
    return out;
  }

  async #lock(tx: PoolClient, id: string): Promise<JobRow> {
    if (!isUuid(id)) throw notFound('job', id);
    const { rows } = await tx.query<JobRow>(getJob(id, true));
    if (!rows[0]) throw notFound('job', id);
    return rows[0];
  }
}

const isUuid = (s: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

/** `?status=failed,canceled` → validated statuses. */
export function parseStatuses(v: string | undefined): JobStatus[] | undefined {
  if (!v) return undefined;
  const list = v.split(',').map((s) => s.trim());
  const bad = list.filter((s) => !(JOB_STATUSES as readonly string[]).includes(s));
  if (bad.length > 0) throw invalidRequest(`unknown job status ${bad.join(', ')}`, { known: JOB_STATUSES });
  return list as JobStatus[];
}

export function parseCursor(v: string | undefined): { createdAt: string; id: string } | undefined {
  if (!v) return undefined;
  const [createdAt, id] = Buffer.from(v, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || !isUuid(id) || Number.isNaN(Date.parse(createdAt))) {
    throw invalidRequest('cursor is not one this API returned');
  }
  return { createdAt, id };
}
