import { z } from 'zod';
import { AppError, ErrorCode, notFound, type Queryable } from '@codex-manager/core';
import { decodeCursor, encodeCursor } from './cursor';

export const sessionSchema = z.object({
  id: z.string(),
  title: z.string().nullable(),
  preview: z.string().nullable(),
  cwd: z.string().nullable(),
  model: z.string().nullable(),
  modelProvider: z.string().nullable(),
  status: z.string().describe('idle | active | notLoaded | systemError'),
  activeTurnId: z.string().nullable(),
  archived: z.boolean(),
  archivedAt: z.string().nullable(),
  projectId: z.string().nullable(),
  systemOwned: z.boolean(),
  forkedFrom: z.string().nullable(),
  dynamicTools: z.array(z.unknown()).nullable(),
  tokenUsage: z.unknown(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Session = z.infer<typeof sessionSchema>;

export interface SessionRow {
  id: string;
  title: string | null;
  preview: string | null;
  cwd: string | null;
  model: string | null;
  model_provider: string | null;
  status: string;
  active_turn_id: string | null;
  archived: boolean;
  archived_at: Date | null;
  project_id: string | null;
  system_owned: boolean;
  forked_from: string | null;
  dynamic_tools: unknown[] | null;
  token_usage: unknown;
  created_at: Date;
  updated_at: Date;
  cursor_ts: string;
}

export const toSession = (r: SessionRow): Session => ({
  id: r.id,
  title: r.title,
  preview: r.preview,
  cwd: r.cwd,
  model: r.model,
  modelProvider: r.model_provider,
  status: r.status,
  activeTurnId: r.active_turn_id,
  archived: r.archived,
  archivedAt: r.archived_at?.toISOString() ?? null,
  projectId: r.project_id,
  systemOwned: r.system_owned,
  forkedFrom: r.forked_from,
  dynamicTools: r.dynamic_tools,
  tokenUsage: r.token_usage ?? null,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const COLUMNS = `s.*, s.updated_at::text AS cursor_ts,
  (SELECT t.id FROM turns t WHERE t.session_id = s.id AND t.status = 'inProgress'
    ORDER BY t.started_at DESC LIMIT 1) AS active_turn_id`;

/**
 * The session, or the right error: 410 for a deleted one (remembered), 404 for an unknown one, 403
 * when a user-facing mutation targets a system-owned worker session.
 */
export async function requireSession(
  db: Queryable,
  id: string,
  opts: { mutating?: boolean } = {},
): Promise<SessionRow> {
  const { rows } = await db.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions s WHERE s.id = $1`, [id]);
  const row = rows[0];
  if (!row) {
    const gone = await db.query<{ deleted_at: Date }>(
      'SELECT deleted_at FROM deleted_sessions WHERE id = $1',
      [id],
    );
    if (gone.rows[0]) {
      throw new AppError(ErrorCode.gone, `session ${id} was deleted`, {
        details: { id, deletedAt: gone.rows[0].deleted_at.toISOString() },
      });
    }
    throw notFound('session', id);
  }
  if (opts.mutating && row.system_owned) {
    throw new AppError(ErrorCode.forbidden, `session ${id} is a system-owned worker session`, {
      details: { id },
      suggestion: 'worker sessions are driven by their jobs; act on the job instead',
    });
  }
  return row;
}

/** 409 unless the session can start a turn: not archived, nothing in progress. */
export function requireIdle(s: SessionRow, what: string): void {
  if (s.archived) {
    throw new AppError(ErrorCode.conflict, `cannot ${what}: session ${s.id} is archived`, {
      details: { id: s.id },
      suggestion: `POST /api/sessions/${s.id}/unarchive first`,
    });
  }
  if (s.active_turn_id) {
    throw new AppError(ErrorCode.conflict, `cannot ${what}: turn ${s.active_turn_id} is in progress`, {
      details: { id: s.id, activeTurnId: s.active_turn_id },
      suggestion: 'steer the active turn, interrupt it, or wait for it to finish',
    });
  }
}

export interface ListFilter {
  /** A project id, or `none` for sessions in no project. */
  projectId?: string;
  archived: 'true' | 'false' | 'all';
  q?: string;
  includeSystemOwned: boolean;
  limit: number;
  cursor?: string;
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Keyset pagination, newest activity first; ties broken by id so no row repeats or is skipped. */
export function listSessionsQuery(f: ListFilter): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  if (!f.includeSystemOwned) where.push('NOT s.system_owned');
  if (f.archived !== 'all') where.push(`s.archived = ${param(f.archived === 'true')}`);
  if (f.projectId === 'none') where.push('s.project_id IS NULL');
  else if (f.projectId) where.push(`s.project_id = ${param(f.projectId)}::uuid`);
  if (f.q) {
    const p = param(likePattern(f.q));
    where.push(`(s.title ILIKE ${p} OR s.preview ILIKE ${p} OR s.id = ${param(f.q)})`);
  }
  if (f.cursor) {
    const c = decodeCursor(f.cursor);
    where.push(`(s.updated_at, s.id) < (${param(c.t)}::timestamptz, ${param(c.id)})`);
  }
  const text = `SELECT ${COLUMNS} FROM sessions s
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY s.updated_at DESC, s.id DESC LIMIT ${param(f.limit + 1)}`;
  return { text, values };
}

export async function listSessions(
  db: Queryable,
  f: ListFilter,
): Promise<{ sessions: Session[]; nextCursor: string | null }> {
  const { rows } = await db.query<SessionRow>(listSessionsQuery(f));
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  return {
    sessions: page.map(toSession),
    nextCursor: rows.length > f.limit && last ? encodeCursor({ t: last.cursor_ts, id: last.id }) : null,
  };
}
