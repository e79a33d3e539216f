import type { Writer } from '../audit';
import type { CommandBus } from '../commands/command-bus';
import type { Pool } from '../db/pool';
import { withTransaction } from '../db/pool';
import { AppError, ErrorCode, notFound } from '../errors';
import { EventLog } from '../events/event-log';
import { activeTraceIds } from '../telemetry';
import * as requestSql from '../sql/requests';
import { decisionsOf, requestResolvedEvent } from './events';
import {
  RESPOND_COMMAND,
  responseHash,
  toRequestView,
  type RequestKind,
  type RequestRow,
  type RequestView,
  type Resolution,
} from './model';
import { sameResolution } from './resolutions';

export interface RequestDeps {
  pool: Pool;
  bus: CommandBus;
  commandTimeoutMs: number;
}

export interface DecisionResult {
  /** `resolved`: this call decided; `already_resolved`: it repeats the decision already taken. */
  status: 'resolved' | 'already_resolved';
  request: RequestView;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const viewOf = (row: RequestRow): RequestView => toRequestView(row, decisionsOf(row));

/** The request `id` if it is one of `kinds`; 404 otherwise (an approval id is no tool call). */
export async function loadRequest(
  pool: Pool,
  id: string,
  kinds: readonly RequestKind[],
): Promise<RequestRow> {
  const row = UUID.test(id) ? (await pool.query<RequestRow>(requestSql.getRequest(id))).rows[0] : undefined;
  if (!row || !kinds.includes(row.kind)) throw notFound('request', id);
  return row;
}

const gone = (row: RequestRow): AppError =>
  new AppError(
    ErrorCode.gone,
    `request ${row.id} expired: ${row.expired_reason ?? 'the runtime can no longer take an answer'}`,
    {
      details: {
        requestId: row.id,
        expiredAt: row.expired_at?.toISOString() ?? null,
        reason: row.expired_reason,
      },
    },
  );

/**
 * Takes a decision once (invariant 3). The transition is one conditional UPDATE, committed with its
 * `request.resolved` event: of any number of concurrent callers exactly one gets the row. The winner
 * then sends the decision to the runtime-bridge as a command and waits until the runtime has it. A
 * caller that lost learns whether it repeated the winning decision (200 `already_resolved`) or
 * contradicted it (409); an expired request is 410.
 */
export async function decide(
  deps: RequestDeps,
  id: string,
  kinds: readonly RequestKind[],
  resolve: (row: RequestRow) => Resolution,
  origin: Writer,
): Promise<DecisionResult> {
  const before = await loadRequest(deps.pool, id, kinds);
  // Validated against what the runtime asked before anything changes: bad input changes nothing.
  const resolution = resolve(before);
  const hash = responseHash(resolution.response);
  const won = await withTransaction(deps.pool, async (db) => {
    const { rows } = await db.query<RequestRow>(
      requestSql.resolveRequest(id, { ...resolution, hash, actor: origin.actor, source: origin.source }),
    );
    if (rows[0]) {
      const event = requestResolvedEvent(rows[0], origin.service ?? 'gateway');
      const ids = activeTraceIds();
      await new EventLog(db).append([ids ? { ...event, ...ids } : event], db);
    }
    return rows[0] ?? null;
  });

  if (!won) {
    const row = await loadRequest(deps.pool, id, kinds);
    if (row.status === 'expired') throw gone(row);
    if (sameResolution(row, resolution, hash)) return { status: 'already_resolved', request: viewOf(row) };
    throw new AppError(ErrorCode.conflict, `request ${id} was already decided: ${row.decision}`, {
      details: {
        requestId: id,
        decision: row.decision,
        resolvedBy: { actor: row.resolved_actor, source: row.resolved_source },
        resolvedAt: row.resolved_at?.toISOString() ?? null,
      },
    });
  }

  try {
    await deps.bus.submit(
      RESPOND_COMMAND,
      { requestId: id },
      { timeoutMs: deps.commandTimeoutMs, requestedBy: origin.service ?? 'api' },
    );
  } catch (e) {
    if (e instanceof AppError && e.code === ErrorCode.gone)
      throw gone(await loadRequest(deps.pool, id, kinds));
    if (
      e instanceof AppError &&
      (e.code === ErrorCode.runtimeUnavailable || e.code === ErrorCode.runtimeTimeout)
    ) {
      // Recorded, not lost: the runtime-bridge's sweeper still delivers it, or expires it if the
      // runtime that asked is gone by then.
      throw new AppError(
        e.code,
        `${e.message}; the decision is recorded and will reach the runtime when it can`,
        {
          details: { ...e.details, requestId: id, decision: resolution.decision },
          cause: e,
        },
      );
    }
    throw e;
  }
  return { status: 'resolved', request: viewOf(await loadRequest(deps.pool, id, kinds)) };
}
