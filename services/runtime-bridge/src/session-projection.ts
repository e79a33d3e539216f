import type { NewEvent, Statement } from '@codex-manager/core';

export type { Statement };

/**
 * Changes to a session's row that several notifications of one batch make (a turn's start, its
 * status, its first message, its token usage): merged into one UPDATE per session and batch, so
 * the append's transaction, whose commit releases the NOTIFY, takes fewer round trips.
 */
export interface SessionPatch {
  threadId: string;
  status?: string;
  /** JSON text of the latest token usage. */
  tokenUsage?: string;
  /** Becomes the preview if the session has none yet; the first of a batch wins. */
  preview?: string;
  /** Turn activity: `updated_at` moves to now. */
  touched?: boolean;
}

export type Write = Statement | { patch: SessionPatch };

/**
 * The read-model writes one runtime notification of a thread calls for (none for most). Planned
 * before the append, so a batch that changes no read model is appended without a transaction.
 */
export type Projection = (threadId: string, params: Record<string, unknown>, event: NewEvent) => Write[];

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
    return status ? [{ patch: { threadId, status } }] : [];
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
      { patch: { threadId, touched: true } },
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
      { patch: { threadId, touched: true } },
    ];
  },

  'thread/tokenUsage/updated': (threadId, params, e) => {
    if (!params.tokenUsage) return [];
    const usage = JSON.stringify(params.tokenUsage);
    return [
      ...(e.turnId
        ? [sql(`UPDATE turns SET usage = $3 WHERE session_id = $1 AND id = $2`, threadId, e.turnId, usage)]
        : []),
      { patch: { threadId, tokenUsage: usage } },
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
    return text ? [{ patch: { threadId, preview: text.slice(0, PREVIEW_CHARS) } }] : [];
  },
};

/** The patches of one batch, one UPDATE per session, in the order the sessions first appeared. */
export function sessionUpdates(patches: SessionPatch[]): Statement[] {
  const merged = new Map<string, SessionPatch>();
  for (const p of patches) {
    const m = merged.get(p.threadId) ?? { threadId: p.threadId };
    if (p.status !== undefined) m.status = p.status;
    if (p.tokenUsage !== undefined) m.tokenUsage = p.tokenUsage;
    m.preview ??= p.preview;
    m.touched ||= p.touched;
    merged.set(p.threadId, m);
  }
  return [...merged.values()].map((m) =>
    sql(
      `UPDATE sessions SET status = COALESCE($2, status), token_usage = COALESCE($3::jsonb, token_usage),
         preview = COALESCE(preview, $4), updated_at = CASE WHEN $5 THEN now() ELSE updated_at END
       WHERE id = $1`,
      m.threadId,
      m.status ?? null,
      m.tokenUsage ?? null,
      m.preview ?? null,
      m.touched ?? false,
    ),
  );
}
