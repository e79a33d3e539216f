import { AppError, ErrorCode, type CommandBus, type EventLog, type Logger } from '@codex-manager/core';
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

  /** Best effort: the turn may have ended already, or the runtime may be restarting. */
  async interrupt(threadId: string, turnId: string): Promise<void> {
    try {
      await this.bus.submit('turn/interrupt', { threadId, turnId }, { threadId, timeoutMs: 10_000 });
    } catch (e) {
      this.log.info({ threadId, turnId, err: (e as Error).message }, 'could not interrupt worker turn');
    }
  }
}
