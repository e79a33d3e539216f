import { AppError, ErrorCode } from '@codex-manager/core';
import { ensureLoaded } from './threads';
import type { CommandHandler } from './types';

/** `thread/name/set`: the runtime keeps the name; `sessions.title` follows in the same commit. */
export const THREAD_NAME_HANDLERS: Record<string, CommandHandler> = {
  'thread/name/set': async (ctx) => {
    const { threadId, name } = ctx.row.params;
    if (typeof threadId !== 'string' || typeof name !== 'string')
      throw new AppError(ErrorCode.invalidRequest, 'thread/name/set needs a threadId and a name');
    await ensureLoaded(ctx, threadId);
    const result = await ctx.client.request('thread/name/set', { threadId, name });
    return {
      result: result ?? {},
      inTx: async (db) => {
        await db.query('UPDATE sessions SET title = $2, updated_at = now() WHERE id = $1', [threadId, name]);
      },
    };
  },
};
