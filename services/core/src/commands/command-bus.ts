import { randomUUID } from 'node:crypto';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { runScript, type Statement } from '../db/script';
import type { Notifier } from '../db/notifier';
import { AppError, ErrorCode } from '../errors';
import { injectTrace } from '../telemetry';
import {
  COMMAND_DONE_CHANNEL,
  claimCommands,
  expireCommand,
  finishCommand,
  getCommand,
  insertCommand,
  parseCommandDone,
  type CommandRow,
} from '../sql/commands';

/** What a caller learns of a finished command. */
type Finished = Pick<CommandRow, 'id' | 'status' | 'result' | 'error'>;

export type { CommandRow } from '../sql/commands';

export interface SubmitOptions {
  threadId?: string | null;
  timeoutMs: number;
  requestedBy?: string;
}

interface Waiter {
  resolve: (row: Finished) => void;
}

/**
 * Runtime commands as rows: the caller inserts and waits for NOTIFY cm_command_done; a runtime-bridge
 * claims with FOR UPDATE SKIP LOCKED, runs the command and writes the result back. A command nobody
 * claims before its deadline is expired, so it can never run late.
 */
export class CommandBus {
  #waiters = new Map<string, Waiter>();
  #started = false;

  constructor(
    private readonly pool: Pool,
    private readonly notifier: Notifier,
  ) {}

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.notifier.on(COMMAND_DONE_CHANNEL, this.#onDone);
    this.notifier.on('reconnect', this.#recheckAll);
    await this.notifier.listen(COMMAND_DONE_CHANNEL);
  }

  stop(): void {
    this.#started = false;
    this.notifier.off(COMMAND_DONE_CHANNEL, this.#onDone);
    this.notifier.off('reconnect', this.#recheckAll);
  }

  /** Submits a command and resolves with the runtime's result, or rejects with a typed error. */
  async submit<T = unknown>(
    method: string,
    params: Record<string, unknown>,
    opts: SubmitOptions,
  ): Promise<T> {
    const id = randomUUID();
    const done = new Promise<Finished>((resolve) => this.#waiters.set(id, { resolve }));
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.pool.query(
        insertCommand(
          id,
          method,
          params,
          opts.threadId ?? null,
          injectTrace(),
          opts.requestedBy ?? 'system',
          opts.timeoutMs,
        ),
      );
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), opts.timeoutMs);
      });
      const row =
        (await Promise.race([done, timeout])) ?? (await this.#onTimeout(id, method, opts.timeoutMs));
      return commandOutcome<T>(row);
    } finally {
      clearTimeout(timer);
      this.#waiters.delete(id);
    }
  }

  /** Claims up to `limit` pending commands for `claimer`. */
  async claim(claimer: string, limit = 16): Promise<CommandRow[]> {
    const { rows } = await this.pool.query<CommandRow>(claimCommands(claimer, limit));
    return rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
  }

  /**
   * Records the outcome. `inTx` commits with it, before the caller is woken: read-model writes as
   * statements (the whole finish is then one round trip, see `runScript`), or a function given the
   * transaction's client, for writes that depend on reads.
   */
  async finish(
    id: string,
    outcome:
      { result: unknown } | { error: { code: string; message: string; details?: Record<string, unknown> } },
    inTx?: Statement[] | ((client: PoolClient) => Promise<void>),
  ): Promise<void> {
    const done =
      'error' in outcome
        ? finishCommand(id, 'failed', null, outcome.error)
        : finishCommand(id, 'succeeded', outcome.result, null);
    if (!inTx) await this.pool.query(done);
    else if (Array.isArray(inTx)) await runScript(this.pool, [...inTx, done]);
    else
      await withTransaction(this.pool, async (client) => {
        await inTx(client);
        await client.query(done);
      });
  }

  async get(id: string): Promise<CommandRow | null> {
    const { rows } = await this.pool.query<CommandRow>(getCommand(id));
    return rows[0] ?? null;
  }

  async #onTimeout(id: string, method: string, timeoutMs: number): Promise<CommandRow> {
    const expired = await this.pool.query(expireCommand(id));
    if (expired.rowCount === 1) {
      throw new AppError(
        ErrorCode.runtimeUnavailable,
        `no runtime-bridge picked up command ${id} (${method}) within ${timeoutMs} ms`,
        {
          details: { commandId: id, method },
          suggestion: 'check /api/health: is the runtime-bridge running?',
        },
      );
    }
    const row = await this.get(id);
    if (row && (row.status === 'succeeded' || row.status === 'failed')) return row;
    throw new AppError(
      ErrorCode.runtimeTimeout,
      `command ${id} (${method}) did not finish within ${timeoutMs} ms`,
      {
        details: { commandId: id, method, status: row?.status ?? 'unknown' },
      },
    );
  }

  #onDone = (payload: string): void => {
    const space = payload.indexOf(' ');
    const w = this.#waiters.get(space < 0 ? payload : payload.slice(0, space));
    if (!w) return; // another process's command: its outcome is not even parsed
    const { id, outcome } = parseCommandDone(payload);
    if (outcome) return w.resolve({ id, ...outcome });
    void this.get(id).then(
      (row) => row && w.resolve(row),
      () => undefined,
    );
  };

  // A NOTIFY sent while the listen connection was down is lost: look at every waiter's row again.
  #recheckAll = (): void => {
    for (const id of this.#waiters.keys()) {
      void this.get(id).then(
        (row) =>
          row &&
          (row.status === 'succeeded' || row.status === 'failed') &&
          this.#waiters.get(id)?.resolve(row),
        () => undefined,
      );
    }
  };
}

function commandOutcome<T>(row: Finished): T {
  if (row.status === 'succeeded') return row.result as T;
  const err = row.error ?? { code: ErrorCode.runtimeError, message: `command ${row.id} failed` };
  const code = (Object.values(ErrorCode) as string[]).includes(err.code)
    ? (err.code as ErrorCode)
    : ErrorCode.runtimeError;
  throw new AppError(code, err.message, { details: { ...err.details, commandId: row.id } });
}
