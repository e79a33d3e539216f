import {
  AppError,
  ErrorCode,
  type CommandBus,
  type EventLog,
  type Logger,
  type Pool,
} from '@codex-manager/core';
import type { TurnOutcome, TurnWatcher } from './turn-watcher';
import type { WorkerSessions } from './worker-sessions';

export interface WorkerTurn extends TurnOutcome {
  threadId: string;
  turnId: string;
}

export interface RunTurnOptions {
  cwd?: string | undefined;
  signal: AbortSignal;
  /** Called once the turn exists, so the job row can name it (cancel and recovery interrupt it). */
  onTurn: (threadId: string, turnId: string) => Promise<void>;
}

/**
 * Errors with which the runtime refuses a turn on a thread it cannot load: the worker session is
 * stale. Decided by code; `runtime_unavailable`/`runtime_timeout` mean the runtime is away, which a
 * new thread would not fix.
 */
const STALE_CODES: string[] = [ErrorCode.invalidRequest, ErrorCode.runtimeError, ErrorCode.notFound];

/** One instruction turn in a worker session, through the command bus, waited for on the event log. */
export class WorkerTurns {
  constructor(
    private readonly pool: Pool,
    private readonly sessions: WorkerSessions,
    private readonly bus: CommandBus,
    private readonly events: EventLog,
    private readonly watcher: TurnWatcher,
    private readonly commandTimeoutMs: number,
    private readonly log: Logger,
  ) {}

  async run(owner: string, agent: string, text: string, opts: RunTurnOptions): Promise<WorkerTurn> {
    let threadId = await this.sessions.ensure(owner, agent, opts.cwd);
    for (let attempt = 0; ; attempt++) {
      opts.signal.throwIfAborted();
      const after = await this.events.head();
      let turnId: string;
      try {
        const r = await this.bus.submit<{ turn: { id: string } }>(
          'turn/start',
          { threadId, input: [{ type: 'text', text, text_elements: [] }] },
          { threadId, timeoutMs: this.commandTimeoutMs, requestedBy: 'queue-worker' },
        );
        turnId = r.turn.id;
      } catch (e) {
        if (attempt === 0 && e instanceof AppError && STALE_CODES.includes(e.code)) {
          threadId = await this.sessions.reprovision(owner, agent, threadId, e.message);
          continue;
        }
        throw e;
      }
      await opts.onTurn(threadId, turnId);
      try {
        const outcome = await this.watcher.wait(threadId, turnId, after, opts.signal);
        return { threadId, turnId, ...outcome };
      } catch (e) {
        if (opts.signal.aborted) await this.interrupt(threadId, turnId);
        throw e;
      }
    }
  }

  /**
   * Best effort: the turn may have ended already, or the runtime may be restarting. The runtime
   * answers `turn/start` before the turn is active (measured ~300 ms apart on a loaded machine) and
   * refuses an interrupt in between as invalid, so that refusal is retried while the turn is still
   * in progress.
   */
  async interrupt(threadId: string, turnId: string, deadlineMs = 10_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      try {
        await this.bus.submit('turn/interrupt', { threadId, turnId }, { threadId, timeoutMs: 10_000 });
        return;
      } catch (e) {
        const early = e instanceof AppError && e.code === ErrorCode.invalidRequest;
        if (early && Date.now() < deadline && (await this.#inProgress(turnId))) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        this.log.info({ threadId, turnId, err: (e as Error).message }, 'could not interrupt worker turn');
        return;
      }
    }
  }

  async #inProgress(turnId: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ status: string }>('SELECT status FROM turns WHERE id = $1', [
      turnId,
    ]);
    return rows[0]?.status === 'inProgress';
  }
}
