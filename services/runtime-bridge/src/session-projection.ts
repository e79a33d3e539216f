import type { NewEvent, PoolClient } from '@codex-manager/core';

/** Updates read models from one runtime notification of a thread, inside the append transaction. */
export type Projection = (
  db: PoolClient,
  threadId: string,
  params: Record<string, unknown>,
  event: NewEvent,
) => Promise<void>;

interface Turn {
  id: string;
  rootTurnId?: string | null;
  status: string;
  error?: unknown;
  durationMs?: number | null;
}

const PREVIEW_CHARS = 500;

/**
 * Sessions and turns as the runtime reports them. `updated_at` of a session moves only with turn
 * activity, so lists ordered by it stay put when a session is renamed, archived or moved.
 */
export const SESSION_PROJECTIONS: Record<string, Projection> = {
  'thread/status/changed': async (db, threadId, params) => {
    const status = (params.status as { type?: string } | undefined)?.type;
    if (status) await db.query(`UPDATE sessions SET status = $2 WHERE id = $1`, [threadId, status]);
  },

  'turn/started': async (db, threadId, params) => {
    const turn = params.turn as Turn | undefined;
    if (!turn) return;
    // A review runs as an inner turn whose `rootTurnId` is the id review/start returned; every
    // later event (and turn/completed) uses the root id, so the root is the turn we keep.
    const isInner = Boolean(turn.rootTurnId) && turn.rootTurnId !== turn.id;
    await db.query(
      `INSERT INTO turns (id, session_id, status, kind)
       SELECT $1, $2, 'inProgress', $3 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $2)
       ON CONFLICT (session_id, id) DO NOTHING`,
      [isInner ? turn.rootTurnId : turn.id, threadId, isInner ? 'review' : 'turn'],
    );
    await db.query(`UPDATE sessions SET updated_at = now() WHERE id = $1`, [threadId]);
  },

  // Interrupt may have recorded the final status already; the notification still brings the timing.
  'turn/completed': async (db, threadId, params) => {
    const turn = params.turn as Turn | undefined;
    if (!turn) return;
    await db.query(
      `INSERT INTO turns (id, session_id, status, error, duration_ms, completed_at)
       SELECT $1, $2, $3, $4, $5, now() WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $2)
       ON CONFLICT (session_id, id) DO UPDATE SET status = EXCLUDED.status,
         error = COALESCE(EXCLUDED.error, turns.error),
         duration_ms = COALESCE(EXCLUDED.duration_ms, turns.duration_ms),
         completed_at = COALESCE(turns.completed_at, EXCLUDED.completed_at)
       WHERE turns.status IN ('inProgress', EXCLUDED.status)`,
      [
        turn.id,
        threadId,
        turn.status,
        turn.error ? JSON.stringify(turn.error) : null,
        turn.durationMs ?? null,
      ],
    );
    await db.query(`UPDATE sessions SET updated_at = now() WHERE id = $1`, [threadId]);
  },

  'thread/tokenUsage/updated': async (db, threadId, params, e) => {
    if (!params.tokenUsage) return;
    const usage = JSON.stringify(params.tokenUsage);
    if (e.turnId) {
      await db.query(`UPDATE turns SET usage = $3 WHERE session_id = $1 AND id = $2`, [
        threadId,
        e.turnId,
        usage,
      ]);
    }
    await db.query(`UPDATE sessions SET token_usage = $2 WHERE id = $1`, [threadId, usage]);
  },

  // Renames from any client of the runtime (or the runtime itself) reach the read model.
  'thread/name/updated': async (db, threadId, params) => {
    if (typeof params.threadName === 'string')
      await db.query(`UPDATE sessions SET title = $2 WHERE id = $1`, [threadId, params.threadName]);
  },

  'thread/archived': async (db, threadId) => {
    await db.query(
      `UPDATE sessions SET archived = true, archived_at = COALESCE(archived_at, now()) WHERE id = $1`,
      [threadId],
    );
  },

  'thread/unarchived': async (db, threadId) => {
    await db.query(`UPDATE sessions SET archived = false, archived_at = NULL WHERE id = $1`, [threadId]);
  },

  'item/started': async (db, threadId, params, e) => {
    const item = params.item as { type?: string } | undefined;
    if (item?.type === 'contextCompaction' && e.turnId) {
      await db.query(`UPDATE turns SET kind = 'compact' WHERE session_id = $1 AND id = $2`, [
        threadId,
        e.turnId,
      ]);
    }
  },

  // The first user message is the session's preview, searchable without calling the runtime.
  'item/completed': async (db, threadId, params) => {
    const item = params.item as { type?: string; content?: { type?: string; text?: string }[] } | undefined;
    if (item?.type !== 'userMessage') return;
    const text = (item.content ?? [])
      .filter((c) => c.type === 'text' && typeof c.text === 'string')
      .map((c) => c.text)
      .join('\n')
      .trim();
    if (text) {
      await db.query(`UPDATE sessions SET preview = $2 WHERE id = $1 AND preview IS NULL`, [
        threadId,
        text.slice(0, PREVIEW_CHARS),
      ]);
    }
  },
};
