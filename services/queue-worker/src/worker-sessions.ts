import { workerKey, type CommandBus, type EventLog, type Logger, type Pool } from '@codex-manager/core';

export interface WorkerSessionOptions {
  defaultCwd: string | undefined;
  commandTimeoutMs: number;
}

/**
 * Worker sessions: system-owned runtime threads keyed `owner::agent`, created on first use and
 * hidden from the session list. Owner `session:<id>` runs in that session's directory with its
 * model; a project owner in the default directory. Worker turns never ask for approval
 * (`approvalPolicy: never`) and run read-only: a background agent proposes, it does not edit.
 */
export class WorkerSessions {
  constructor(
    private readonly pool: Pool,
    private readonly bus: CommandBus,
    private readonly events: EventLog,
    private readonly opts: WorkerSessionOptions,
    private readonly log: Logger,
  ) {}

  async find(owner: string, agent: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM sessions WHERE worker_key = $1', [
      workerKey(owner, agent),
    ]);
    return rows[0]?.id ?? null;
  }

  /** The worker session's thread id, creating it once even when several workers ask at once. */
  async ensure(owner: string, agent: string, cwd?: string): Promise<string> {
    const existing = await this.find(owner, agent);
    if (existing) return existing;
    const key = workerKey(owner, agent);
    const client = await this.pool.connect();
    try {
      await client.query(`SELECT pg_advisory_lock(hashtext('cm-worker-session:' || $1))`, [key]);
      const again = await this.find(owner, agent);
      if (again) return again;
      return await this.#create(owner, agent, cwd);
    } finally {
      await client
        .query(`SELECT pg_advisory_unlock(hashtext('cm-worker-session:' || $1))`, [key])
        .catch(() => undefined);
      client.release();
    }
  }

  /**
   * A worker session whose thread the runtime no longer knows (its storage was removed, or
   * CODEX_HOME changed) is retired and replaced by a new one, once per attempt.
   */
  async reprovision(owner: string, agent: string, staleId: string, reason: string): Promise<string> {
    const key = workerKey(owner, agent);
    await this.pool.query(
      `UPDATE sessions SET worker_key = NULL, status = 'stale', updated_at = now() WHERE id = $1 AND worker_key = $2`,
      [staleId, key],
    );
    this.log.warn({ key, staleId, reason }, 'worker session is stale; creating a new one');
    const id = await this.ensure(owner, agent);
    await this.events.append([
      {
        type: 'session.worker.reprovisioned',
        threadId: id,
        source: 'queue-worker',
        data: { key, owner, agent, staleSessionId: staleId, reason },
      },
    ]);
    return id;
  }

  async #create(owner: string, agent: string, cwd: string | undefined): Promise<string> {
    const params: Record<string, unknown> = { approvalPolicy: 'never', sandbox: 'read-only' };
    if (owner.startsWith('session:')) {
      const { rows } = await this.pool.query<{ cwd: string | null; model: string | null }>(
        'SELECT cwd, model FROM sessions WHERE id = $1',
        [owner.slice('session:'.length)],
      );
      if (rows[0]?.cwd) params.cwd = rows[0].cwd;
      if (rows[0]?.model) params.model = rows[0].model;
    }
    if (cwd) params.cwd = cwd;
    params.cwd ??= this.opts.defaultCwd;
    const result = await this.bus.submit<{ thread: { id: string } }>('thread/start', params, {
      timeoutMs: this.opts.commandTimeoutMs,
      requestedBy: 'queue-worker',
    });
    const id = result.thread.id;
    const key = workerKey(owner, agent);
    await this.pool.query(
      `UPDATE sessions SET system_owned = true, worker_key = $2, title = $3, updated_at = now() WHERE id = $1`,
      [id, key, `${agent} worker for ${owner}`],
    );
    await this.events.append([
      { type: 'session.worker.created', threadId: id, source: 'queue-worker', data: { key, owner, agent } },
    ]);
    this.log.info({ key, threadId: id }, 'worker session created');
    return id;
  }
}
