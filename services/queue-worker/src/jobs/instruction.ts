import { AppError, JobFailure, instructionPayload, type ActionResult } from '@codex-manager/core';
import { parseReply } from '../reply-outcome';
import type { WorkerTurns, WorkerTurn } from '../worker-turns';
import type { JobContext, JobHandler } from './types';

/** A turn that did not complete is a failed attempt (retryable: the runtime may recover). */
export function requireCompleted(turn: WorkerTurn): void {
  if (turn.status === 'failed')
    throw new JobFailure('turn_failed', 'the worker turn failed', { turnId: turn.turnId, error: turn.error });
  if (turn.status === 'interrupted')
    throw new JobFailure('turn_interrupted', 'the worker turn was interrupted', { turnId: turn.turnId });
}

/**
 * `instruction`: one turn in the worker session `owner::agent`; completes with `none`,
 * `assistant_text` or `action_intents`. With `applyIntents`, each intent is carried out through the
 * action API and its result recorded; one refused intent does not stop the others.
 */
export function instructionJob(turns: WorkerTurns): JobHandler {
  return async (ctx: JobContext) => {
    const p = instructionPayload.parse(ctx.job.payload);
    const turn = await turns.run(p.owner, p.agent, p.instruction, {
      cwd: p.cwd,
      signal: ctx.signal,
      onTurn: ctx.onTurn,
    });
    requireCompleted(turn);
    const outcome = parseReply(turn.finalText);
    const output: Record<string, unknown> = { ...outcome, threadId: turn.threadId, turnId: turn.turnId };
    if (p.applyIntents && outcome.kind === 'action_intents') {
      const results: (ActionResult | { action: string; outcome: 'error'; detail: string })[] = [];
      for (const intent of outcome.intents) {
        try {
          results.push(await ctx.actions.apply(intent));
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          results.push({ action: intent.action, outcome: 'error', detail: e.message });
        }
      }
      output.results = results;
    }
    return output;
  };
}
