import { CAPABILITY_HANDLERS } from './capabilities';
import { HISTORY_HANDLERS } from './history';
import { RUNTIME_HANDLERS } from './runtime';
import { THREAD_HANDLERS } from './threads';
import { TURN_HANDLERS } from './turns';
import type { CommandHandler } from './types';

export type { CommandHandler, HandlerContext, HandlerDeps, HandlerOutcome } from './types';

/**
 * Runtime methods the bridge executes, keyed by method; anything else is `not_supported`. Each file
 * of this folder contributes the handlers of one area. Manager commands that are more than one
 * runtime call have names of their own (`session/delete`, `session/read`, `session/rollback`,
 * `runtime/capabilities`).
 */
export const COMMAND_HANDLERS: Record<string, CommandHandler> = {
  ...THREAD_HANDLERS,
  ...HISTORY_HANDLERS,
  ...TURN_HANDLERS,
  ...RUNTIME_HANDLERS,
  ...CAPABILITY_HANDLERS,
};
