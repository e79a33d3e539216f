import type { CommandRow, PoolClient } from '@codex-manager/core';
import type { AppServerClient } from '../app-server/client';

export interface HandlerContext {
  client: AppServerClient;
  row: CommandRow;
  /** Threads the current app-server process has loaded (started or resumed). */
  loaded: Set<string>;
}

export interface HandlerOutcome {
  result: unknown;
  /** Read-model writes committed together with the command's result. */
  inTx?: (db: PoolClient) => Promise<void>;
  /** The turn this command started, so its events carry the command's trace. */
  turnId?: string;
}

export type CommandHandler = (ctx: HandlerContext) => Promise<HandlerOutcome>;
