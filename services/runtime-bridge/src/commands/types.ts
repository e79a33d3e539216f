import type { CommandRow, Pool, PoolClient } from '@codex-manager/core';
import type { AppServerClient } from '../app-server/client';
import type { RuntimeMethods } from '../runtime-methods';

/** What a handler may use besides the command row: shared by every command of this bridge. */
export interface HandlerDeps {
  /** Reads a handler needs before calling the runtime (writes go through `inTx`). */
  db: Pool;
  /** The methods the runtime binary implements. */
  methods: RuntimeMethods;
}

export interface HandlerContext extends HandlerDeps {
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
