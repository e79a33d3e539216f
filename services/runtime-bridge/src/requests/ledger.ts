import { randomUUID } from 'node:crypto';
import {
  AppError,
  ErrorCode,
  WITHDRAWN,
  notFound,
  redactResponse,
  requestExpiredEvent,
  requestResolvedEvent,
  requestSql,
  runtimeEventType,
  secretQuestionIds,
  withTransaction,
  type EventLog,
  type Logger,
  type NewEvent,
  type Pool,
  type RequestRow,
} from '@codex-manager/core';
import type { AppServerClient, ExitInfo } from '../app-server/client';
import type { RequestId } from '../app-server/protocol';
import type { EventAppender } from '../event-appender';
import type { TraceIndex } from '../trace-index';
import { SOURCE, recordRequest } from './intake';

export interface LedgerDeps {
  pool: Pool;
  events: EventLog;
  appender: EventAppender;
  traces: TraceIndex;
  log: Logger;
  /** How often decided-but-undelivered rows are looked for (decisions whose command never came). */
  sweepMs?: number;
}

export interface Delivery {
  /** False when someone else already answered (or the runtime withdrew the request). */
  delivered: boolean;
  request: RequestRow;
}

/** What the runtime is told for a server request the manager does not handle. */
const UNSUPPORTED = -32601;

/**
 * The runtime-bridge's side of invariant 3. Every server request becomes a durable row plus
 * `request.created` before anyone can answer it; decisions arrive as rows already resolved (by the
 * gateway) and are written to the runtime at most once, and only to the process that asked, since
 * JSON-RPC ids mean nothing to any other. A process that dies takes its open rows with it: they
 * become `expired`.
 *
 * Runtime-driven changes (new requests, withdrawals) run one at a time in arrival order, each after
 * the events received before it are committed, so `request.*` events follow the runtime events that
 * led to them.
 */
export class RequestLedger {
  #generations = new WeakMap<AppServerClient, string>();
  #current: { client: AppServerClient; generation: string } | null = null;
  /** Turns of the current process that have had a request: only their end can withdraw one. */
  #turns = new Set<string>();
  #chain: Promise<void> = Promise.resolve();
  #sweep: NodeJS.Timeout | null = null;
  #sweeping: Promise<void> | null = null;

  constructor(private readonly deps: LedgerDeps) {}

  /** The current process's generation, or null while none is running. */
  get generation(): string | null {
    return this.#current?.generation ?? null;
  }

  /** A new app-server process is ready: it owns the JSON-RPC ids from now on. */
  attach(client: AppServerClient): void {
    const generation = randomUUID();
    this.#generations.set(client, generation);
    this.#current = { client, generation };
    this.#turns.clear();
    // Queued before any later sweep can look, so the expiry carries this exit's code and signal.
    client.on('exit', (exit) => this.#serial(() => this.#expireExited(generation, exit)));
    client.on('request', (id, method, params) =>
      this.#serial(() => this.#intake(client, generation, id, method, params)),
    );
    client.on('notification', (method, params) => {
      if (method === 'serverRequest/resolved' && params.requestId !== undefined) {
        const rpcId = params.requestId as RequestId;
        this.#serial(() => this.#withdraw(generation, { rpcId }, 'the runtime withdrew the request'));
      } else if (method === 'turn/completed') {
        const turn = params.turn as { id?: string; status?: string } | undefined;
        if (turn?.id && this.#turns.delete(turn.id)) {
          const turnId = turn.id;
          this.#serial(() =>
            this.#withdraw(generation, { turnId }, `the turn ended (${turn.status ?? 'unknown'})`, {
              turnStatus: turn.status,
            }),
          );
        }
      }
    });
  }

  /** Starts looking for undelivered decisions every `sweepMs`. */
  start(): void {
    if (this.#sweep) return;
    this.#sweep = setInterval(() => {
      // One sweep at a time: a slow database must not stack them up.
      this.#sweeping ??= this.sweep().finally(() => (this.#sweeping = null));
    }, this.deps.sweepMs ?? 2000);
    this.#sweep.unref();
  }

  /** Stops the sweeper and waits for runtime-driven work already queued. */
  async stop(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = null;
    await this.#sweeping;
    await this.#chain;
  }

  /**
   * Expires the open rows of every process but the running one, with a `request.expired` event
   * each: at bridge start and stop (nothing is running, so everything open expires) and as the
   * sweeper's backstop for an exit whose own expiry failed.
   */
  async expireDead(reason: string): Promise<number> {
    if (this.#current && !this.#current.client.running) this.#current = null;
    // A request of a dead process still being stored must land before it is expired.
    await this.#chain;
    return this.#expire(requestSql.expireOpen(this.generation, reason), {});
  }

  /**
   * Writes a decided request's answer to `client`, once. A row of another process is expired
   * instead (its id would reach the wrong request, or none) and the caller gets `gone`.
   */
  async deliver(client: AppServerClient, requestId: string): Promise<Delivery> {
    const generation = this.#generations.get(client) ?? null;
    // The usual case in one statement: decided, undelivered, asked by this very process.
    const claimed = generation
      ? (await this.deps.pool.query<RequestRow>(requestSql.claimDelivery(requestId, generation))).rows[0]
      : undefined;
    const outcome = claimed
      ? { delivered: true, request: claimed }
      : await this.#undeliverable(requestId, generation);
    if (!outcome)
      throw new AppError(
        ErrorCode.gone,
        `request ${requestId} expired: the runtime process that asked is gone`,
        {
          details: { requestId },
        },
      );
    if (outcome.delivered) {
      client.respond(outcome.request.rpc_id, outcome.request.response);
      await this.#scrub(outcome.request);
    }
    return outcome;
  }

  /** Why a request cannot be delivered: already answered or withdrawn, or expired (null). */
  #undeliverable(requestId: string, generation: string | null): Promise<Delivery | null> {
    return withTransaction(this.deps.pool, async (db) => {
      const { rows } = await db.query<RequestRow>('SELECT * FROM server_requests WHERE id = $1 FOR UPDATE', [
        requestId,
      ]);
      const row = rows[0];
      if (!row) throw notFound('request', requestId);
      if (row.status === 'pending')
        throw new AppError(ErrorCode.conflict, `request ${requestId} has no decision to deliver`);
      if (row.status === 'resolved' && (row.answered_at !== null || row.response === null))
        return { delivered: false, request: row };
      if (row.status === 'resolved' && row.runtime_generation === generation && generation) {
        // Decided between the claim above and this lock.
        const again = await db.query<RequestRow>(requestSql.claimDelivery(row.id, generation));
        return { delivered: true, request: again.rows[0]! };
      }
      if (row.status === 'resolved') {
        const expired = await db.query<RequestRow>(
          requestSql.expireOpen(generation, 'the runtime process that asked has exited', row.id),
        );
        await this.deps.events.append(
          expired.rows.map((r) => this.#traced(requestExpiredEvent(r, SOURCE))),
          db,
        );
      }
      return null;
    });
  }

  /**
   * Delivers decisions no command carried (e.g. the gateway died between deciding and sending), and
   * expires whatever of a dead process is still open (an expiry that failed with the database down).
   */
  async sweep(): Promise<void> {
    const current = this.#current;
    if (!current?.client.running) return;
    try {
      await this.expireDead('the runtime process that asked has exited');
      const { rows } = await this.deps.pool.query<{ id: string }>(requestSql.undelivered(current.generation));
      for (const r of rows) {
        const d = await this.deliver(current.client, r.id);
        if (d.delivered) this.deps.log.info({ requestId: r.id }, 'delivered a decision no command carried');
      }
    } catch (e) {
      this.deps.log.warn({ err: (e as Error).message }, 'request sweep failed');
    }
  }

  async #intake(
    client: AppServerClient,
    generation: string,
    rpcId: RequestId,
    method: string,
    params: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.appender.drain();
    const intake = await this.#retrying(client, `store ${method}`, () =>
      withTransaction(this.deps.pool, async (db) => {
        const r = await recordRequest(db, generation, rpcId, method, params, this.deps.log);
        if (typeof r === 'object')
          await this.deps.events.append(
            r.events.map((e) => this.#traced(e)),
            db,
          );
        return r;
      }),
    );
    if (intake === undefined) return; // the process died meanwhile; nothing left to answer
    if (intake === 'duplicate') {
      // A protocol violation; the first request with this id stands and is answered once.
      this.deps.log.warn({ rpcId, method }, 'app-server repeated a request id; ignored');
      return;
    }
    if (intake === 'unsupported') {
      // Never leave the runtime waiting: anything we do not handle is refused at once, and recorded.
      client.respondError(rpcId, UNSUPPORTED, `Codex Manager does not answer ${method}`);
      this.deps.appender.push(
        this.#traced({
          type: runtimeEventType(method),
          source: SOURCE,
          data: { method, params, requestId: rpcId, answered: { error: UNSUPPORTED } },
          ...(typeof params.threadId === 'string' ? { threadId: params.threadId } : {}),
        }),
      );
      return;
    }
    if (intake.row.turn_id) this.#turns.add(intake.row.turn_id);
    if (intake.answer !== undefined) {
      client.respond(rpcId, intake.answer);
      await this.#scrub(intake.row);
    }
  }

  /** The process that owned these JSON-RPC ids exited: nobody can answer its requests any more. */
  async #expireExited(generation: string, exit: ExitInfo): Promise<void> {
    await this.deps.appender.drain();
    const reason = 'the runtime exited before the request was answered';
    await this.#expire(requestSql.expireGeneration(generation, reason), {
      exitCode: exit.code,
      signal: exit.signal,
    }).catch((e: Error) => this.deps.log.error({ err: e.message }, 'expiring requests after exit failed'));
  }

  async #expire(
    query: { text: string; values: unknown[] },
    details: Record<string, unknown>,
  ): Promise<number> {
    const rows = await withTransaction(this.deps.pool, async (db) => {
      const { rows } = await db.query<RequestRow>(query);
      await this.deps.events.append(
        rows.map((r) => this.#traced(requestExpiredEvent(r, SOURCE, details))),
        db,
      );
      return rows;
    });
    if (rows.length > 0)
      this.deps.log.warn(
        { requests: rows.map((r) => r.id), reason: rows[0]!.expired_reason },
        'expired open server requests',
      );
    return rows.length;
  }

  async #withdraw(
    generation: string,
    by: { rpcId: RequestId } | { turnId: string },
    reason: string,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await this.deps.appender.drain();
    await withTransaction(this.deps.pool, async (db) => {
      const pending = await db.query<RequestRow>(requestSql.pendingOf(generation, by));
      const events: NewEvent[] = [];
      for (const p of pending.rows) {
        const { rows } = await db.query<RequestRow>(
          requestSql.resolveRequest(p.id, { ...WITHDRAWN, hash: null, actor: 'runtime', source: SOURCE }),
        );
        // A decision that committed in between stands; the runtime ignores its late answer.
        if (rows[0]) events.push(this.#traced(requestResolvedEvent(rows[0], SOURCE, { reason, ...extra })));
      }
      await this.deps.events.append(events, db);
    }).catch((e: Error) => this.deps.log.error({ err: e.message, ...by }, 'could not withdraw request'));
  }

  /** Answers to secret questions are kept only until they are delivered. */
  async #scrub(row: RequestRow): Promise<void> {
    if (row.kind !== 'userInput' || secretQuestionIds(row.params).size === 0) return;
    await this.deps.pool
      .query(requestSql.replaceResponse(row.id, redactResponse(row.kind, row.params, row.response)))
      .catch((e: Error) => this.deps.log.warn({ err: e.message, requestId: row.id }, 'scrub failed'));
  }

  /**
   * Retries a database write until it succeeds or the process that needs it is gone (undefined):
   * the runtime waits for the answer indefinitely, so giving up would leave it hanging.
   */
  async #retrying<T>(client: AppServerClient, what: string, fn: () => Promise<T>): Promise<T | undefined> {
    for (let backoff = 50; ; backoff = Math.min(backoff * 2, 5000)) {
      try {
        return await fn();
      } catch (e) {
        this.deps.log.error({ err: (e as Error).message }, `could not ${what}; retrying`);
        await new Promise((r) => setTimeout(r, backoff));
        if (!client.running) return undefined;
      }
    }
  }

  #serial(fn: () => Promise<void>): void {
    this.#chain = this.#chain
      .then(fn)
      .catch((e: Error) => this.deps.log.error({ err: e.message }, 'server request handling failed'));
  }

  #traced(e: NewEvent): NewEvent {
    const ids = this.deps.traces.lookup(e.threadId, e.turnId);
    return ids ? { ...e, ...ids } : e;
  }
}
