import {
  extractTrace,
  withSpan,
  JOBS_CHANNEL,
  JOB_CANCEL_CHANNEL,
  JobFailure,
  toJobError,
  type Actions,
  type JobLifecycle,
  type JobRow,
  type Logger,
  type Notifier,
} from '@codex-manager/core';
import type { JobHandler } from './jobs/types';

export interface JobRunnerOptions {
  lifecycle: JobLifecycle;
  notifier: Notifier;
  handlers: Record<string, JobHandler>;
  /** The action API bound to a job's provenance. */
  actionsFor: (job: JobRow) => Actions;
  concurrency: number;
  log: Logger;
  /** Fallback poll in case a NOTIFY was missed; the nudge is what makes pickup fast. */
  pollMs?: number;
}

interface Running {
  row: JobRow;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Claims jobs while it has free slots and runs each with a timeout and a cancel signal. Woken by
 * NOTIFY cm_jobs (an enqueue) and by each finished job, so a job sent to an idle worker starts in
 * milliseconds instead of after pg-boss's polling interval (0.5 s minimum, measured ~280 ms p50).
 */
export class JobRunner {
  #running = new Map<string, Running>();
  #claiming = false;
  #again = false;
  #active = false;
  #poll: NodeJS.Timeout | null = null;
  #next = 0;

  constructor(private readonly o: JobRunnerOptions) {}

  get runningCount(): number {
    return this.#running.size;
  }

  async start(): Promise<void> {
    if (this.#active) return;
    this.#active = true;
    this.o.notifier.on(JOBS_CHANNEL, this.wake);
    this.o.notifier.on(JOB_CANCEL_CHANNEL, this.#onCancel);
    this.o.notifier.on('reconnect', this.wake);
    await this.o.notifier.listen(JOBS_CHANNEL);
    await this.o.notifier.listen(JOB_CANCEL_CHANNEL);
    this.#poll = setInterval(this.wake, this.o.pollMs ?? 1000);
    this.#poll.unref();
    this.wake();
  }

  /**
   * Stops claiming, gives running jobs `graceMs` to finish, then aborts the rest: each such attempt
   * fails as `worker_stopped` (retryable), so another worker picks it up.
   */
  async stop(graceMs = 5000): Promise<void> {
    this.#active = false;
    this.o.notifier.off(JOBS_CHANNEL, this.wake);
    this.o.notifier.off(JOB_CANCEL_CHANNEL, this.#onCancel);
    this.o.notifier.off('reconnect', this.wake);
    if (this.#poll) clearInterval(this.#poll);
    const all = () => Promise.allSettled([...this.#running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all(), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const r of this.#running.values())
      r.controller.abort(new JobFailure('worker_stopped', 'the queue-worker stopped during the job'));
    await all();
  }

  wake = (): void => {
    if (!this.#active) return;
    if (this.#claiming) {
      this.#again = true;
      return;
    }
    this.#claiming = true;
    void this.#claimLoop().finally(() => {
      this.#claiming = false;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  };

  async #claimLoop(): Promise<void> {
    try {
      if (this.o.concurrency - this.#running.size <= 0) return;
      const waiting = await this.o.lifecycle.waitingTypes();
      const types = Object.keys(this.o.handlers).filter((t) => waiting.has(t));
      let idle = 0;
      // Round-robin over the job types so one busy type cannot starve the others.
      while (this.#active && idle < types.length) {
        const free = this.o.concurrency - this.#running.size;
        if (free <= 0) return;
        const type = types[this.#next++ % types.length]!;
        const rows = await this.o.lifecycle.claim(type, free);
        if (rows.length === 0) idle++;
        else idle = 0;
        for (const row of rows) this.#start(row);
      }
    } catch (e) {
      this.o.log.error({ err: (e as Error).message }, 'claiming jobs failed');
    }
  }

  #start(row: JobRow): void {
    const controller = new AbortController();
    const entry: Running = { row, controller, done: Promise.resolve() };
    this.#running.set(row.id, entry);
    entry.done = this.#run(row, controller).finally(() => {
      this.#running.delete(row.id);
      this.wake();
    });
  }

  /** Each attempt is a span in the trace of whoever queued the job; its worker turn joins it. */
  #run(row: JobRow, controller: AbortController): Promise<void> {
    return withSpan(
      `job ${row.type}`,
      { 'cm.job.id': row.id, 'cm.job.type': row.type, 'cm.job.attempt': row.attempts },
      () => this.#attempt(row, controller),
      extractTrace(row.trace_context),
    );
  }

  async #attempt(row: JobRow, controller: AbortController): Promise<void> {
    const log = this.o.log.child({ jobId: row.id, jobType: row.type, attempt: row.attempts });
    const timer = setTimeout(
      () =>
        controller.abort(new JobFailure('job_timeout', `the job did not finish within ${row.timeout_ms} ms`)),
      row.timeout_ms,
    );
    try {
      const handler = this.o.handlers[row.type];
      if (!handler) throw new JobFailure('unknown_job_type', `no handler for job type ${row.type}`);
      // A handler that ignores its signal must not hold the slot: the abort settles the attempt.
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      aborted.catch(() => undefined);
      const output = await Promise.race([
        handler({
          job: row,
          signal: controller.signal,
          onTurn: (threadId, turnId) => this.o.lifecycle.recordTurn(row.id, threadId, turnId),
          actions: this.o.actionsFor(row),
          log,
        }),
        aborted,
      ]);
      if (await this.o.lifecycle.complete(row, output)) log.info('job completed');
    } catch (e) {
      const error = toJobError(e);
      try {
        const status = await this.o.lifecycle.fail(row, error);
        log.warn(
          { error, status },
          status === null ? 'job attempt ended after a cancel' : 'job attempt failed',
        );
      } catch (err) {
        // The recovery sweep settles it once this worker's heartbeat is gone.
        log.error({ err: (err as Error).message }, 'could not record the job failure');
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #onCancel = (jobId: string): void => {
    this.#running.get(jobId)?.controller.abort(new JobFailure('canceled', 'the job was canceled'));
  };
}
