import { THREAD_HANDLERS } from './threads';
import type { CommandHandler } from './types';

export type { CommandHandler, HandlerContext, HandlerOutcome } from './types';

/**
 * Runtime methods the bridge executes, keyed by method; anything else is `not_supported`. Each file
 * of this folder contributes the handlers of one area.
 */
export const COMMAND_HANDLERS: Record<string, CommandHandler> = {
  ...THREAD_HANDLERS,
};
