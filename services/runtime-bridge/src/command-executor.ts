import {
  AppError,
  COMMANDS_CHANNEL,
  ErrorCode,
  extractTrace,
  mapJsonRpcError,
  withSpan,
  type CommandBus,
  type CommandRow,
  type Logger,
  type Notifier,
} from '@codex-manager/core';
import { RpcCallError, TransportClosedError } from './app-server/client';
import { COMMAND_HANDLERS, type CommandHandler, type HandlerDeps } from './commands';
import { LoadedThreads } from './commands/types';
import type { RuntimeSupervisor } from './supervisor';
import type { TraceIndex } from './trace-index';

/** Commands claimed per query. */
const CLAIM_BATCH = 16;

type CommandError = { code: string; message: string; details?: Record<string, unknown> };

/** Every failure becomes a stable code; decided by error class and JSON-RPC code, never by text. */
export function toCommandError(e: unknown): CommandError {
  if (e instanceof AppError)
    return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  if (e instanceof RpcCallError) {
    if (e.rpc.code === -32001) return { code: ErrorCode.runtimeTimeout, message: e.message };
    return {
      code: mapJsonRpcError(e.rpc.code),
      message: e.rpc.message,
      details: { rpcCode: e.rpc.code, method: e.method },
    };
  }
  if (e instanceof TransportClosedError) {
    return {
      code: ErrorCode.runtimeUnavailable,
      message: e.message,
      details: { exitCode: e.exit.code, signal: e.exit.signal },
    };
  }
  return { code: ErrorCode.runtimeError, message: (e as Error).message ?? String(e) };
}

/**
 * Claims runtime commands while the runtime is ready and runs them: commands of one thread in
 * order, one at a time; commands of different threads concurrently. Woken by NOTIFY cm_commands,
 * and polls every `pollMs` in case a notification was missed.
 */
export class CommandExecutor {
  #chains = new Map<string, Promise<void>>();
  #inFlight = new Set<Promise<void>>();
  #claiming = false;
  #again = false;
  #poll: NodeJS.Timeout | null = null;
  #running = false;
  readonly loaded = new LoadedThreads();

  constructor(
    private readonly bus: CommandBus,
    private readonly notifier: Notifier,
    private readonly supervisor: RuntimeSupervisor,
    private readonly traces: TraceIndex,
    private readonly claimer: string,
    private readonly log: Logger,
    private readonly deps: HandlerDeps,
    private readonly handlers: Record<string, CommandHandler> = COMMAND_HANDLERS,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.notifier.on(COMMANDS_CHANNEL, this.wake);
    this.notifier.on('reconnect', this.wake);
    await this.notifier.listen(COMMANDS_CHANNEL);
    this.#poll = setInterval(this.wake, this.pollMs);
    this.wake();
  }

  /** Stops claiming and waits for commands already running. */
  async stop(): Promise<void> {
    this.#running = false;
    this.notifier.off(COMMANDS_CHANNEL, this.wake);
    this.notifier.off('reconnect', this.wake);
    if (this.#poll) clearInterval(this.#poll);
    await Promise.allSettled([...this.#inFlight]);
  }

  /** The app-server process changed: nothing is loaded in the new one. */
  resetLoaded(): void {
    this.loaded.clear();
  }

  wake = (): void => {
    if (!this.#running || !this.supervisor.client) return;
    if (this.#claiming) {
      this.#again = true;
      return;
    }
    this.#claiming = true;
    void this.#claimLoop().finally(() => {
      this.#claiming = false;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  };

  async #claimLoop(): Promise<void> {
    try {
      for (;;) {
        if (!this.#running || !this.supervisor.client) return;
        const rows = await this.bus.claim(this.claimer, CLAIM_BATCH);
        for (const row of rows) this.#schedule(row);
        // A short batch emptied the queue; a command created since then wakes the loop again.
        if (rows.length < CLAIM_BATCH) return;
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'claiming commands failed');
    }
  }

  #schedule(row: CommandRow): void {
    const key = row.thread_id ?? `command:${row.id}`;
    const prev = this.#chains.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.#run(row));
    this.#chains.set(key, next);
    this.#inFlight.add(next);
    void next.finally(() => {
      this.#inFlight.delete(next);
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
  }

  async #run(row: CommandRow): Promise<void> {
    const parent = extractTrace(row.trace_context);
    await withSpan(
      `runtime ${row.method}`,
      { 'cm.command.id': row.id, 'rpc.method': row.method },
      async (span) => {
        const { traceId, spanId } = span.spanContext();
        const ids = { traceId, spanId };
        if (row.thread_id) this.traces.setThread(row.thread_id, ids);
        try {
          const handler = this.handlers[row.method];
          if (!handler)
            throw new AppError(ErrorCode.notSupported, `runtime method ${row.method} is not supported`);
          const client = this.supervisor.client;
          if (!client) throw new AppError(ErrorCode.runtimeUnavailable, 'the runtime is restarting');
          const outcome = await handler({ ...this.deps, client, row, loaded: this.loaded });
          if (outcome.turnId) this.traces.setTurn(outcome.turnId, ids);
          await this.bus.finish(row.id, { result: outcome.result }, outcome.inTx);
        } catch (e) {
          const error = toCommandError(e);
          this.log.warn({ commandId: row.id, method: row.method, error }, 'command failed');
          await this.bus
            .finish(row.id, { error })
            .catch((err: Error) =>
              this.log.error({ commandId: row.id, err: err.message }, 'could not record command failure'),
            );
        }
      },
      parent,
    );
  }
}
