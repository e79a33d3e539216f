import type { NewEvent } from '@codex-manager/core';

/** One read-model write, run in the append transaction (a prepared statement: they run every turn). */
export interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

/**
 * The read-model writes one runtime notification of a thread calls for (none for most). Planned
 * before the append, so a batch that changes no read model is appended without a transaction.
 */
export type Projection = (threadId: string, params: Record<string, unknown>, event: NewEvent) => Statement[];

/** Texts are constants, so each gets the name of its first use (`cm_project_<n>`). */
const names = new Map<string, string>();
const sql = (text: string, ...values: unknown[]): Statement => {
  let name = names.get(text);
  if (!name) names.set(text, (name = `cm_project_${names.size + 1}`));
  return { name, text, values };
};

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
  'thread/status/changed': (threadId, params) => {
    const status = (params.status as { type?: string } | undefined)?.type;
    return status ? [sql(`UPDATE sessions SET status = $2 WHERE id = $1`, threadId, status)] : [];
  },

  'turn/started': (threadId, params) => {
    const turn = params.turn as Turn | undefined;
    if (!turn) return [];
    // A review runs as an inner turn whose `rootTurnId` is the id review/start returned; every
    // later event (and turn/completed) uses the root id, so the root is the turn we keep.
    const isInner = Boolean(turn.rootTurnId) && turn.rootTurnId !== turn.id;
    return [
      sql(
        `INSERT INTO turns (id, session_id, status, kind)
         SELECT $1, $2, 'inProgress', $3 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $2)
         ON CONFLICT (session_id, id) DO NOTHING`,
        isInner ? turn.rootTurnId : turn.id,
        threadId,
        isInner ? 'review' : 'turn',
      ),
      sql(`UPDATE sessions SET updated_at = now() WHERE id = $1`, threadId),
    ];
  },

  // Interrupt may have recorded the final status already; the notification still brings the timing.
  'turn/completed': (threadId, params) => {
    const turn = params.turn as Turn | undefined;
    if (!turn) return [];
    return [
      sql(
        `INSERT INTO turns (id, session_id, status, error, duration_ms, completed_at)
       SELECT $1, $2, $3, $4, $5, now() WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $2)
       ON CONFLICT (session_id, id) DO UPDATE SET status = EXCLUDED.status,
         error = COALESCE(EXCLUDED.error, turns.error),
         duration_ms = COALESCE(EXCLUDED.duration_ms, turns.duration_ms),
         completed_at = COALESCE(turns.completed_at, EXCLUDED.completed_at)
       WHERE turns.status IN ('inProgress', EXCLUDED.status)`,
        turn.id,
        threadId,
        turn.status,
        turn.error ? JSON.stringify(turn.error) : null,
        turn.durationMs ?? null,
      ),
      sql(`UPDATE sessions SET updated_at = now() WHERE id = $1`, threadId),
    ];
  },

  'thread/tokenUsage/updated': (threadId, params, e) => {
    if (!params.tokenUsage) return [];
    const usage = JSON.stringify(params.tokenUsage);
    return [
      ...(e.turnId
        ? [sql(`UPDATE turns SET usage = $3 WHERE session_id = $1 AND id = $2`, threadId, e.turnId, usage)]
        : []),
      sql(`UPDATE sessions SET token_usage = $2 WHERE id = $1`, threadId, usage),
    ];
  },

  // Renames from any client of the runtime (or the runtime itself) reach the read model.
  'thread/name/updated': (threadId, params) =>
    typeof params.threadName === 'string'
      ? [sql(`UPDATE sessions SET title = $2 WHERE id = $1`, threadId, params.threadName)]
      : [],

  'thread/archived': (threadId) => [
    sql(
      `UPDATE sessions SET archived = true, archived_at = COALESCE(archived_at, now()) WHERE id = $1`,
      threadId,
    ),
  ],

  'thread/unarchived': (threadId) => [
    sql(`UPDATE sessions SET archived = false, archived_at = NULL WHERE id = $1`, threadId),
  ],

  'item/started': (threadId, params, e) => {
    const item = params.item as { type?: string } | undefined;
    return item?.type === 'contextCompaction' && e.turnId
      ? [sql(`UPDATE turns SET kind = 'compact' WHERE session_id = $1 AND id = $2`, threadId, e.turnId)]
      : [];
  },

  // The first user message is the session's preview, searchable without calling the runtime.
  'item/completed': (threadId, params) => {
    const item = params.item as { type?: string; content?: { type?: string; text?: string }[] } | undefined;
    if (item?.type !== 'userMessage') return [];
    const text = (item.content ?? [])
      .filter((c) => c.type === 'text' && typeof c.text === 'string')
      .map((c) => c.text)
      .join('\n')
      .trim();
    return text
      ? [
          sql(
            `UPDATE sessions SET preview = $2 WHERE id = $1 AND preview IS NULL`,
            threadId,
            text.slice(0, PREVIEW_CHARS),
          ),
        ]
      : [];
  },
};
