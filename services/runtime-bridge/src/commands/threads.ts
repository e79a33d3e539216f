import { AppError, ErrorCode } from '@codex-manager/core';
import type { CommandHandler, HandlerContext } from './types';

interface ThreadStartResult {
  thread: { id: string };
  model?: string;
  modelProvider?: string;
  cwd?: string;
}

interface TurnStartResult {
  turn: { id: string; status: string };
}

/** A thread created by an earlier app-server process must be resumed before it takes turns. */
export async function ensureLoaded(ctx: HandlerContext, threadId: string): Promise<void> {
  if (ctx.loaded.has(threadId)) return;
  await ctx.client.request('thread/resume', { threadId });
  ctx.loaded.add(threadId);
}

export const THREAD_HANDLERS: Record<string, CommandHandler> = {
  'thread/start': async (ctx) => {
    const result = await ctx.client.request<ThreadStartResult>('thread/start', ctx.row.params);
    const threadId = result.thread.id;
    ctx.loaded.add(threadId);
    return {
      result,
      inTx: async (db) => {
        await db.query(
          `INSERT INTO sessions (id, cwd, model, model_provider, status) VALUES ($1, $2, $3, $4, 'idle')
           ON CONFLICT (id) DO NOTHING`,
          [threadId, result.cwd ?? null, result.model ?? null, result.modelProvider ?? null],
        );
      },
    };
  },

  'turn/start': async (ctx) => {
    const threadId = ctx.row.params.threadId;
    if (typeof threadId !== 'string')
      throw new AppError(ErrorCode.invalidRequest, 'turn/start needs a threadId');
    await ensureLoaded(ctx, threadId);
    const result = await ctx.client.request<TurnStartResult>('turn/start', ctx.row.params);
    const turn = result.turn;
    return {
      result,
      turnId: turn.id,
      inTx: async (db) => {
        await db.query(
          `INSERT INTO turns (id, session_id, status) VALUES ($1, $2, 'inProgress') ON CONFLICT (id) DO NOTHING`,
          [turn.id, threadId],
        );
      },
    };
  },
};
