import type { Queryable } from '../db/pool';
import { EventLog } from '../events/event-log';
import { toInboxItem, type InboxRemovalReason, type InboxRow, type InboxRowJoined } from './model';

const JOINED = `SELECT i.*, s.title AS session_title, s.project_id::text AS project_id
  FROM inbox_items i LEFT JOIN sessions s ON s.id = i.session_id`;

/** Adds an item (once: a second add of the same id changes nothing) and announces it. */
export async function addInboxItem(
  db: Queryable,
  row: Omit<InboxRow, 'created_at'> & { created_at: string },
  source: string,
) {
  const { rowCount } = await db.query(
    `INSERT INTO inbox_items (id, kind, seq, created_at, session_id, turn_id, request_id, job_id, title, detail)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
     WHERE NOT EXISTS (SELECT 1 FROM inbox_dismissals WHERE id = $1)
     ON CONFLICT (id) DO NOTHING`,
    [
      row.id,
      row.kind,
      row.seq,
      row.created_at,
      row.session_id,
      row.turn_id,
      row.request_id,
      row.job_id,
      row.title,
      JSON.stringify(row.detail),
    ],
  );
  if (!rowCount) return false;
  const { rows } = await db.query<InboxRowJoined>(`${JOINED} WHERE i.id = $1`, [row.id]);
  await new EventLog(db).append(
    [
      {
        type: 'inbox.added',
        source,
        ...(row.session_id ? { threadId: row.session_id } : {}),
        ...(row.turn_id ? { turnId: row.turn_id } : {}),
        data: { item: toInboxItem(rows[0]!) },
      },
    ],
    db,
  );
  return true;
}

/** Removes the items matching `where` and announces each removal with why and by whom. */
export async function removeInboxItems(
  db: Queryable,
  where: { id: string } | { sessionId: string },
  why: { reason: InboxRemovalReason; actor?: string | null; source?: string | null },
  service: string,
): Promise<number> {
  const { rows } = await db.query<{ id: string; kind: string; session_id: string | null }>(
    'id' in where
      ? 'DELETE FROM inbox_items WHERE id = $1 RETURNING id, kind, session_id'
      : 'DELETE FROM inbox_items WHERE session_id = $1 RETURNING id, kind, session_id',
    ['id' in where ? where.id : where.sessionId],
  );
  if (rows.length === 0) return 0;
  await new EventLog(db).append(
    rows.map((r) => ({
      type: 'inbox.removed',
      source: service,
      ...(r.session_id ? { threadId: r.session_id } : {}),
      data: {
        id: r.id,
        kind: r.kind,
        reason: why.reason,
        actor: why.actor ?? null,
        source: why.source ?? null,
      },
    })),
    db,
  );
  return rows.length;
}

export interface InboxQuery {
  kinds?: string[] | undefined;
  sessionId?: string | undefined;
  projectId?: string | undefined;
  /** Items older than this seq (the cursor). */
  beforeSeq?: number | undefined;
  limit: number;
}

/** A page of items, newest first, and the counts by kind under the same session/project filter. */
export async function listInbox(db: Queryable, q: InboxQuery) {
  const scope: string[] = ['(i.session_id IS NULL OR s.id IS NOT NULL)'];
  const values: unknown[] = [];
  if (q.sessionId) {
    values.push(q.sessionId);
    scope.push(`i.session_id = $${values.length}`);
  }
  if (q.projectId) {
    values.push(q.projectId);
    scope.push(`s.project_id::text = $${values.length}`);
  }
  const page = [...scope];
  const pageValues = [...values];
  if (q.kinds && q.kinds.length > 0) {
    pageValues.push(q.kinds);
    page.push(`i.kind = ANY($${pageValues.length}::text[])`);
  }
  if (q.beforeSeq !== undefined) {
    pageValues.push(q.beforeSeq);
    page.push(`i.seq < $${pageValues.length}`);
  }
  pageValues.push(q.limit + 1);
  const [items, counts] = await Promise.all([
    db.query<InboxRowJoined>(
      `${JOINED} WHERE ${page.join(' AND ')} ORDER BY i.seq DESC LIMIT $${pageValues.length}`,
      pageValues,
    ),
    db.query<{ kind: string; n: number }>(
      `SELECT i.kind, count(*)::int AS n FROM inbox_items i LEFT JOIN sessions s ON s.id = i.session_id
       WHERE ${scope.join(' AND ')} GROUP BY i.kind`,
      values,
    ),
  ]);
  const more = items.rows.length > q.limit;
  const rows = items.rows.slice(0, q.limit);
  return {
    items: rows.map(toInboxItem),
    nextBeforeSeq: more ? Number(rows[rows.length - 1]!.seq) : null,
    counts: Object.fromEntries(counts.rows.map((r) => [r.kind, r.n])) as Record<string, number>,
  };
}

export async function getInboxItem(db: Queryable, id: string) {
  const { rows } = await db.query<InboxRowJoined>(`${JOINED} WHERE i.id = $1`, [id]);
  return rows[0] ? toInboxItem(rows[0]) : null;
}
