import os from 'node:os';
import type { JobLifecycle, Logger, RunningElsewhereRow } from '@codex-manager/core';
import type { WorkerTurns } from './worker-turns';

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Whether the worker that claimed a job is gone: no heartbeat, stopped, stale, or — on this host —
 * its process no longer exists (so a worker killed with -9 and restarted at once does not wait
 * for its old heartbeat to go stale).
 */
export function workerGone(r: RunningElsewhereRow, staleMs: number, host = os.hostname()): boolean {
  if (r.hb_status === null || r.hb_status === 'stopped') return true;
  if ((r.hb_age_ms ?? Infinity) > staleMs) return true;
  return r.hb_host === host && r.hb_pid !== null && !pidAlive(r.hb_pid);
}

/**
 * Settles jobs left running by a queue-worker that died (invariant 5: every job ends completed,
 * failed or canceled): the attempt fails as `worker_lost`, retried within the job's bound, and its
 * worker turn is interrupted so the retry does not race it. Runs at start and every `intervalMs`.
 */
export class Recovery {
  #timer: NodeJS.Timeout | null = null;
  #sweeping: Promise<number> | null = null;

  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly turns: WorkerTurns,
    private readonly staleMs: number,
    private readonly log: Logger,
    private readonly intervalMs = 2000,
  ) {}

  async start(): Promise<void> {
    await this.sweep();
    this.#timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = null));
    return this.#sweeping;
  }

  async #sweep(): Promise<number> {
    let settled = 0;
    try {
      const rows = await this.lifecycle.runningElsewhere();
      for (const r of rows.filter((row) => workerGone(row, this.staleMs))) {
        if (r.worker_thread_id && r.worker_turn_id)
          await this.turns.interrupt(r.worker_thread_id, r.worker_turn_id);
        const status = await this.lifecycle.failAbandoned(r, {
          code: 'worker_lost',
          message: `the queue-worker ${r.worker_id} stopped before the job finished`,
          class: 'retryable',
        });
        if (status) {
          settled++;
          this.log.warn({ jobId: r.id, worker: r.worker_id, status }, 'took over a job of a stopped worker');
        }
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'recovery sweep failed');
    }
    return settled;
  }
}
