import type { Origin } from '../audit';
import type { CommandBus } from '../commands/command-bus';
import { withTransaction, type Pool } from '../db/pool';
import { AppError, ErrorCode } from '../errors';
import { APPROVAL_KINDS, decide, approvalResolution } from '../requests';
import { readSettings, writeSettings, type Scope } from '../settings/store';
import { upsertTranscriptRow } from '../transcript-rows';
import type { ActionOutcome } from './intents';

/**
 * Backends of the actions whose state another part of the manager owns: the same stores and the
 * same exactly-once decision path the API uses, so an extension's write is audited, evented and
 * raced exactly like a user's. `by.source` is the acting service; it is also the events' source.
 */

export interface TranscriptRowInput {
  sessionId: string;
  rowId: string;
  kind: string;
  text: string;
  data?: Record<string, unknown> | undefined;
}

/** Supplemental transcript rows (stable id, upserted). */
export interface TranscriptRows {
  upsert(row: TranscriptRowInput, by: Origin): Promise<{ outcome: ActionOutcome; detail?: string }>;
}

/** Settings per scope (`default`, `session:<id>`, `project:<id>`), every write audited. */
export interface SettingsStore {
  read(scope: string, key: string): Promise<unknown>;
  write(
    scope: string,
    key: string,
    value: unknown,
    by: Origin,
  ): Promise<{ outcome: ActionOutcome; detail?: string }>;
}

/** Durable pending approvals and their exactly-once decisions. */
export interface ApprovalDecisions {
  decide(
    requestId: string,
    decision: 'accept' | 'acceptForSession' | 'decline' | 'cancel',
    by: Origin,
  ): Promise<{ outcome: ActionOutcome; detail?: string }>;
}

type Outcome = Promise<{ outcome: ActionOutcome; detail?: string }>;

/** Why a session cannot take a manager-owned write, or null when it can. */
async function sessionRefusal(pool: Pool, sessionId: string): Promise<string | null> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM sessions WHERE id = $1', [sessionId]);
  return rows[0] ? null : `session ${sessionId} does not exist (or was deleted)`;
}

/** Rows in `transcript_rows`, each written with its `transcript.updated` event in one transaction. */
export class SqlTranscriptRows implements TranscriptRows {
  constructor(private readonly pool: Pool) {}

  async upsert(row: TranscriptRowInput, by: Origin): Outcome {
    const refusal = await sessionRefusal(this.pool, row.sessionId);
    if (refusal) return { outcome: 'not_eligible', detail: refusal };
    const content = row.data ? { text: row.text, data: row.data } : row.text;
    await withTransaction(this.pool, (db) =>
      upsertTranscriptRow(
        db,
        {
          sessionId: row.sessionId,
          rowId: row.rowId,
          kind: row.kind,
          content,
          turnId: null,
          afterItemId: null,
        },
        by,
        by.source,
      ),
    );
    return { outcome: 'ok' };
  }
}

/**
 * Settings in the `default` and `session:<id>` scopes, through the API's own audited store. The
 * default scope is refused while the configuration locks defaults (the API answers 423 there);
 * project scopes have no settings of their own.
 */
export class SqlSettings implements SettingsStore {
  constructor(
    private readonly pool: Pool,
    private readonly opts: { lockDefaults: boolean },
  ) {}

  #scope(scope: string): Scope | { unsupported: string } {
    if (scope === 'default') return { scope: 'default' };
    if (scope.startsWith('session:')) return { scope: 'session', sessionId: scope.slice('session:'.length) };
    return { unsupported: `settings have no ${scope.split(':')[0]} scope; use default or session:<id>` };
  }

  async read(scope: string, key: string): Promise<unknown> {
    const s = this.#scope(scope);
    if ('unsupported' in s) return undefined;
    return (await readSettings(this.pool, s))[key];
  }

  async write(scope: string, key: string, value: unknown, by: Origin): Outcome {
    const s = this.#scope(scope);
    if ('unsupported' in s) return { outcome: 'not_supported', detail: s.unsupported };
    if (s.scope === 'default' && this.opts.lockDefaults)
      return { outcome: 'not_eligible', detail: 'default settings are locked by configuration' };
    if (s.scope === 'session') {
      const refusal = await sessionRefusal(this.pool, s.sessionId);
      if (refusal) return { outcome: 'not_eligible', detail: refusal };
    }
    await writeSettings(this.pool, s, { ...by, service: by.source }, 'set', (current) => {
      const next = { ...current };
      if (value === null || value === undefined) delete next[key];
      else next[key] = value;
      return next;
    });
    return { outcome: 'ok' };
  }
}

/** Approvals decided through the API's exactly-once path: a lost race is a result, not an error. */
export class RequestApprovalDecisions implements ApprovalDecisions {
  constructor(private readonly deps: { pool: Pool; bus: CommandBus; commandTimeoutMs: number }) {}

  async decide(
    requestId: string,
    decision: 'accept' | 'acceptForSession' | 'decline' | 'cancel',
    by: Origin,
  ): Outcome {
    try {
      const r = await decide(
        this.deps,
        requestId,
        APPROVAL_KINDS,
        (row) => approvalResolution(row, { decision }),
        by,
      );
      return r.status === 'resolved' ? { outcome: 'ok' } : { outcome: 'already_resolved' };
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      if (e.code === ErrorCode.conflict) return { outcome: 'conflict', detail: e.message };
      if (e.code === ErrorCode.gone || e.code === ErrorCode.notFound || e.code === ErrorCode.invalidRequest)
        return { outcome: 'not_eligible', detail: e.message };
      throw e;
    }
  }
}

/** The three backends over one database, as the queue-worker and the extension-host wire them. */
export function sqlActionBackends(
  pool: Pool,
  bus: CommandBus,
  opts: { commandTimeoutMs: number; lockDefaults: boolean },
): { transcript: TranscriptRows; settings: SettingsStore; approvals: ApprovalDecisions } {
  return {
    transcript: new SqlTranscriptRows(pool),
    settings: new SqlSettings(pool, { lockDefaults: opts.lockDefaults }),
    approvals: new RequestApprovalDecisions({ pool, bus, commandTimeoutMs: opts.commandTimeoutMs }),
  };
}
