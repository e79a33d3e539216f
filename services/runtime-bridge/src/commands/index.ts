import { THREAD_NAME_HANDLERS } from './thread-name';
import { THREAD_HANDLERS } from './threads';
import { TURN_INTERRUPT_HANDLERS } from './turn-interrupt';
import type { CommandHandler } from './types';

export type { CommandHandler, HandlerContext, HandlerOutcome } from './types';

/**
 * Runtime methods the bridge executes, keyed by method; anything else is `not_supported`. Each file
 * of this folder contributes the handlers of one area.
 */
export const COMMAND_HANDLERS: Record<string, CommandHandler> = {
  ...THREAD_HANDLERS,
  ...THREAD_NAME_HANDLERS,
  ...TURN_INTERRUPT_HANDLERS,
};
