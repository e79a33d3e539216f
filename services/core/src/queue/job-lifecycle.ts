import type PgBoss from 'pg-boss';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import type { EventLog } from '../events/event-log';
import {
  markRunning,
  recordWorkerTurn,
  runningElsewhere,
  settleJob,
  setStatus,
  waitingTypes,
  type JobRow,
} from '../sql/jobs';
import { bossDb } from './boss';
import type { JobStatus } from './job-types';
import { jobEvent } from './job-view';
import type { JobError } from './retry-policy';

export type RunningElsewhereRow = JobRow & {
  hb_pid: number | null;
  hb_host: string | null;
  hb_status: string | null;
  hb_age_ms: number | null;
};

/** pg-boss job states → ours. */
const FROM_BOSS: Record<string, JobStatus> = {
  created: 'queued',
  retry: 'retrying',
  active: 'running',
  completed: 'completed',
  cancelled: 'canceled',
  failed: 'failed',
};

/**
 * The queue-worker's side of a job's life: claim, record the worker turn, complete, fail (retry or
 * for good), and take over attempts of a worker that died. Every step is one transaction over the
 * pg-boss job, the `jobs` row and its `job.*` event, so a crash between steps leaves nothing half
 * done.
 */
export class JobLifecycle {
  constructor(
    private readonly pool: Pool,
    private readonly boss: PgBoss,
    private readonly events: EventLog,
    private readonly workerId: string,
    private readonly source = 'queue-worker',
  ) {}

  /**
   * The job types worth a claim: those with a waiting job. One cheap query instead of a claim
   * transaction per type on every wake (the safety poll wakes every second).
   */
  async waitingTypes(): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ type: string }>(waitingTypes());
    return new Set(rows.map((r) => r.type));
  }

  /** Fetches up to `limit` jobs of `type` and marks them running for this worker. */
  async claim(type: string, limit: number): Promise<JobRow[]> {
    return withTransaction(this.pool, async (tx) => {
      const fetched = await this.boss.fetch(type, { batchSize: limit, db: bossDb(tx) });
      if (!fetched || fetched.length === 0) return [];
      const { rows } = await tx.query<JobRow>(
        markRunning(
          fetched.map((j) => j.id),
          this.workerId,
        ),
      );
      const known = new Set(rows.map((r) => r.id));
      // A pg-boss job without a waiting row cannot be ours to run (nothing should produce one).
      const strays = fetched.filter((j) => !known.has(j.id)).map((j) => j.id);
      if (strays.length > 0) await this.boss.cancel(type, strays, { db: bossDb(tx) });
      if (rows.length > 0) {
        await this.events.append(
          rows.map((r) => jobEvent('job.started', r, this.source)),
          tx,
        );
      }
      return rows;
    });
  }

  async recordTurn(jobId: string, threadId: string, turnId: string | null): Promise<void> {
    await this.pool.query(recordWorkerTurn(jobId, this.workerId, threadId, turnId));
  }

  /** False when the job is no longer this worker's (canceled meanwhile): nothing changes then. */
  async complete(row: JobRow, output: Record<string, unknown>): Promise<boolean> {
    return withTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<JobRow>(
        settleJob(row.id, this.workerId, 'completed', output, null, null),
      );
      if (!rows[0]) return false;
      await this.boss.complete(row.type, row.id, output, { db: bossDb(tx) });
      await this.events.append([jobEvent('job.completed', rows[0], this.source, { output })], tx);
      return true;
    });
  }

  /**
   * Fails the current attempt: pg-boss decides retry or failure from the attempts left (a fatal
   * error leaves none). A job that fails for good is copied to the dead-letter queue by pg-boss.
   */
  async fail(
    row: JobRow,
    error: JobError,
    workerId: string | null = this.workerId,
  ): Promise<JobStatus | null> {
    return withTransaction(this.pool, async (tx) => this.#fail(tx, row, error, workerId));
  }

  async #fail(
    tx: PoolClient,
    row: JobRow,
    error: JobError,
    workerId: string | null,
  ): Promise<JobStatus | null> {
    const db = bossDb(tx);
    if (error.class === 'fatal') {
      // pg-boss has no "fail without retry": spend the remaining retries of this one job.
      await tx.query(`UPDATE pgboss.job SET retry_limit = retry_count WHERE name = $1 AND id = $2`, [
        row.type,
        row.id,
      ]);
    }
    await this.boss.fail(row.type, row.id, { error }, { db });
    const job = await this.boss.getJobById(row.type, row.id, { db, includeArchive: true });
    const status = FROM_BOSS[job?.state ?? 'failed'] ?? 'failed';
    const finalStatus: JobStatus = status === 'running' ? 'failed' : status;
    const deadLetter = finalStatus === 'failed' ? (job?.deadLetter ?? null) : null;
    const { rows } = await tx.query<JobRow>(
      settleJob(row.id, workerId ?? '', finalStatus, null, error, deadLetter),
    );
    if (!rows[0]) return null;
    const type = finalStatus === 'retrying' ? 'job.retrying' : finalStatus === 'failed' ? 'job.failed' : null;
    const extra: Record<string, unknown> = { error };
    if (job?.startAfter && finalStatus === 'retrying') extra.retryAt = new Date(job.startAfter).toISOString();
    if (deadLetter) extra.deadLetter = deadLetter;
    if (type) await this.events.append([jobEvent(type, rows[0], this.source, extra)], tx);
    return finalStatus;
  }

  /** Running jobs of other worker instances, with their heartbeats, for the recovery sweep. */
  async runningElsewhere(): Promise<RunningElsewhereRow[]> {
    const { rows } = await this.pool.query<RunningElsewhereRow>(runningElsewhere(this.workerId));
    return rows;
  }

  /**
   * Takes over the attempt of a worker that is gone: if pg-boss still has the job active it fails
   * the attempt (retry or failure by the usual rules); if pg-boss already moved it (its own expiry),
   * the row follows pg-boss.
   */
  async failAbandoned(row: JobRow, error: JobError): Promise<JobStatus | null> {
    return withTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<JobRow>(`SELECT * FROM jobs WHERE id = $1 FOR UPDATE`, [row.id]);
      const current = rows[0];
      if (!current || current.status !== 'running' || current.worker_id !== row.worker_id) return null;
      const job = await this.boss.getJobById(row.type, row.id, { db: bossDb(tx), includeArchive: true });
      if (job?.state === 'active') return this.#fail(tx, current, error, current.worker_id);
      const status = FROM_BOSS[job?.state ?? 'failed'] ?? 'failed';
      const { rows: updated } = await tx.query<JobRow>(setStatus(row.id, status));
      const type = status === 'failed' ? 'job.failed' : status === 'retrying' ? 'job.retrying' : null;
      if (type && updated[0])
        await this.events.append([jobEvent(type, updated[0], this.source, { error })], tx);
      return status;
    });
  }
}
