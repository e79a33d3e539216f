import type { CommandRow, Pool, PoolClient, Statement } from '@codex-manager/core';
import type { AppServerClient } from '../app-server/client';
import type { RuntimeMethods } from '../runtime-methods';

/** What a handler may use besides the command row: shared by every command of this bridge. */
export interface HandlerDeps {
  /** Reads a handler needs before calling the runtime (writes go through `inTx`). */
  db: Pool;
  /** The methods the runtime binary implements. */
  methods: RuntimeMethods;
}

/**
 * Threads the current app-server process has loaded (started, resumed or forked), with the turn
 * settings each was last sent. app-server keeps a turn's settings as the thread's default for the
 * turns after it, so a setting equal to the one last sent need not be sent again (applying one costs
 * the runtime ~20 ms per turn). Loading a thread again forgets what it was sent.
 */
export class LoadedThreads extends Set<string> {
  readonly #sent = new Map<string, Map<string, string>>();

  override add(threadId: string): this {
    this.#sent.delete(threadId);
    return super.add(threadId);
  }

  override delete(threadId: string): boolean {
    this.#sent.delete(threadId);
    return super.delete(threadId);
  }

  override clear(): void {
    this.#sent.clear();
    super.clear();
  }

  /** Sticky turn settings sent to this thread since it was loaded: field → JSON of the value. */
  sent(threadId: string): Map<string, string> {
    let m = this.#sent.get(threadId);
    if (!m) this.#sent.set(threadId, (m = new Map()));
    return m;
  }
}

export interface HandlerContext extends HandlerDeps {
  client: AppServerClient;
  row: CommandRow;
  loaded: LoadedThreads;
}

export interface HandlerOutcome {
  result: unknown;
  /**
   * Read-model writes committed together with the command's result: statements (one round trip
   * with the result), or a function given the transaction when the writes depend on reads.
   */
  inTx?: Statement[] | ((db: PoolClient) => Promise<void>);
  /** The turn this command started, so its events carry the command's trace. */
  turnId?: string;
}

export type CommandHandler = (ctx: HandlerContext) => Promise<HandlerOutcome>;
