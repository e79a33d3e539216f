import type { Actions, JobRow, Logger } from '@codex-manager/core';

export interface JobContext {
  job: JobRow;
  /** Aborted when the job is canceled, times out, or the worker stops. */
  signal: AbortSignal;
  /** Records the worker turn on the job row (cancel and recovery interrupt it). */
  onTurn: (threadId: string, turnId: string) => Promise<void>;
  /** The action API with the job's provenance. */
  actions: Actions;
  log: Logger;
}

/** Runs one attempt; the returned object is the job's `output`. Throw to fail the attempt. */
export type JobHandler = (ctx: JobContext) => Promise<Record<string, unknown>>;
