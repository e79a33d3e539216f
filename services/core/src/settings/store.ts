import { diffKeys, insertAudit, type AuditChange, type Writer } from '../audit';
import { controlsSchema, type Controls } from '../controls';
import { withTransaction, type Pool, type PoolClient, type Queryable } from '../db/pool';
import { invalidRequest } from '../errors';
import { EventLog } from '../events/event-log';
import type { NewEvent } from '../events/types';
import { applyWrite, type WriteMode } from './merge';

/** Settings and controls events name the service that wrote them: the gateway, or an action's host. */
const appendEvents = (db: Queryable, events: Omit<NewEvent, 'source'>[], service: string) =>
  new EventLog(db).append(
    events.map((e) => ({ ...e, source: service })),
    db,
  );

/** `default`, or one session's own scope. */
export type Scope = { scope: 'default' } | { scope: 'session'; sessionId: string };

const sessionIdOf = (s: Scope) => (s.scope === 'session' ? s.sessionId : '');

export async function readSettings(db: Queryable, s: Scope): Promise<Record<string, unknown>> {
  const { rows } = await db.query<{ key: string; value: unknown }>(
    'SELECT key, value FROM settings WHERE scope = $1 AND session_id = $2 ORDER BY key',
    [s.scope, sessionIdOf(s)],
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export async function readControls(db: Queryable, s: Scope): Promise<Controls> {
  const { rows } = await db.query<{ controls: Controls }>(
    'SELECT controls FROM controls WHERE scope = $1 AND session_id = $2',
    [s.scope, sessionIdOf(s)],
  );
  return rows[0]?.controls ?? {};
}

/** Writers of one scope take turns, so a merge never works from a stale read. */
async function lockScope(db: PoolClient, what: string, s: Scope): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${what}:${s.scope}:${sessionIdOf(s)}`]);
}

async function audited(
  db: PoolClient,
  target: 'settings' | 'controls',
  s: Scope,
  action: string,
  changes: AuditChange[],
  origin: Writer,
): Promise<void> {
  if (changes.length === 0) return;
  const sessionId = s.scope === 'session' ? s.sessionId : null;
  await insertAudit(db, {
    target,
    scope: s.scope,
    sessionId,
    action,
    changes,
    actor: origin.actor,
    source: origin.source,
  });
  await appendEvents(
    db,
    [
      {
        type: 'settings.updated',
        ...(sessionId ? { threadId: sessionId } : {}),
        data: { target, scope: s.scope, keys: changes.map((c) => c.key), action, actor: origin.actor },
      },
    ],
    origin.service ?? 'gateway',
  );
}

export interface WriteResult<T> {
  values: T;
  changes: AuditChange[];
}

/**
 * Writes settings in one transaction: the new state is computed from the locked current one, only
 * changed keys are written, and the write is audited (a write that changes nothing is not).
 */
export async function writeSettings(
  pool: Pool,
  s: Scope,
  origin: Writer,
  action: string,
  next: (current: Record<string, unknown>) => Record<string, unknown>,
): Promise<WriteResult<Record<string, unknown>>> {
  return withTransaction(pool, async (db) => {
    await lockScope(db, 'settings', s);
    const current = await readSettings(db, s);
    const values = next(current);
    const changes = diffKeys(current, values);
    for (const c of changes) {
      if (c.after === null) {
        await db.query('DELETE FROM settings WHERE scope = $1 AND session_id = $2 AND key = $3', [
          s.scope,
          sessionIdOf(s),
          c.key,
        ]);
      } else {
        await db.query(
          `INSERT INTO settings (scope, session_id, key, value) VALUES ($1, $2, $3, $4)
           ON CONFLICT (scope, session_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
          [s.scope, sessionIdOf(s), c.key, JSON.stringify(c.after)],
        );
      }
    }
    await audited(db, 'settings', s, action, changes, origin);
    return { values, changes };
  });
}

export const writeSettingsObject = (
  pool: Pool,
  s: Scope,
  origin: Writer,
  values: Record<string, unknown>,
  mode: WriteMode,
) => writeSettings(pool, s, origin, mode, (current) => applyWrite(current, values, mode));

/** Controls are one small document per scope: `merge` sets the given fields (null clears one). */
export async function writeControls(
  pool: Pool,
  s: Scope,
  origin: Writer,
  patch: Record<string, unknown>,
  mode: WriteMode,
): Promise<WriteResult<Controls>> {
  return withTransaction(pool, async (db) => {
    await lockScope(db, 'controls', s);
    const current = await readControls(db, s);
    const merged = applyWrite(current, patch, mode);
    const parsed = controlsSchema.safeParse(merged);
    if (!parsed.success) throw invalidRequest('the resulting controls are not valid', { controls: merged });
    const values = parsed.data;
    const changes = diffKeys(current, values);
    if (Object.keys(values).length === 0) {
      await db.query('DELETE FROM controls WHERE scope = $1 AND session_id = $2', [s.scope, sessionIdOf(s)]);
    } else if (changes.length > 0) {
      await db.query(
        `INSERT INTO controls (scope, session_id, controls) VALUES ($1, $2, $3)
         ON CONFLICT (scope, session_id) DO UPDATE SET controls = EXCLUDED.controls, updated_at = now()`,
        [s.scope, sessionIdOf(s), JSON.stringify(values)],
      );
    }
    await audited(db, 'controls', s, mode, changes, origin);
    return { values, changes };
  });
}
