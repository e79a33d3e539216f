import { AppError, ErrorCode } from '@codex-manager/core';
import type { CommandHandler } from './types';

/**
 * `turn/interrupt`: stops a running turn (the queue-worker uses it when a job is canceled, times out
 * or is taken over from a dead worker). A thread this app-server never loaded has no running turn.
 */
export const TURN_INTERRUPT_HANDLERS: Record<string, CommandHandler> = {
  'turn/interrupt': async (ctx) => {
    const { threadId, turnId } = ctx.row.params;
    if (typeof threadId !== 'string' || typeof turnId !== 'string')
      throw new AppError(ErrorCode.invalidRequest, 'turn/interrupt needs a threadId and a turnId');
    if (!ctx.loaded.has(threadId))
      throw new AppError(ErrorCode.invalidRequest, `thread ${threadId} has no running turn in this runtime`);
    const result = await ctx.client.request('turn/interrupt', { threadId, turnId });
    return { result: result ?? {} };
  },
};
