import { z } from 'zod';
import type { Origin } from './audit';
import type { Queryable } from './db/pool';
import { EventLog } from './events/event-log';

/** A supplemental transcript row as stored: manager-owned entries next to the runtime's items. */
export interface SupplementalRow {
  id: string;
  turn_id: string | null;
  after_item_id: string | null;
  kind: string;
  content: unknown;
  actor: string;
  source: string;
  created_at: Date;
  updated_at: Date;
}

export const supplementalSchema = z.object({
  id: z.string(),
  kind: z.string(),
  content: z.unknown(),
  afterItemId: z.string().nullable(),
  actor: z.string(),
  source: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const toSupplemental = (r: SupplementalRow): z.infer<typeof supplementalSchema> => ({
  id: r.id,
  kind: r.kind,
  content: r.content,
  afterItemId: r.after_item_id,
  actor: r.actor,
  source: r.source,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export interface TranscriptRowWrite {
  sessionId: string;
  rowId: string;
  kind: string;
  content: unknown;
  turnId: string | null;
  afterItemId: string | null;
}

/**
 * Creates or replaces a row by its stable id and appends its `transcript.updated` event; call it in
 * one transaction so the row and the event commit together. `service` is the event's source.
 */
export async function upsertTranscriptRow(
  db: Queryable,
  w: TranscriptRowWrite,
  by: Origin,
  service: string,
): Promise<SupplementalRow & { inserted: boolean }> {
  const { rows } = await db.query<SupplementalRow & { inserted: boolean }>(
    `INSERT INTO transcript_rows (session_id, id, turn_id, after_item_id, kind, content, actor, source)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (session_id, id) DO UPDATE SET turn_id = EXCLUDED.turn_id,
       after_item_id = EXCLUDED.after_item_id, kind = EXCLUDED.kind, content = EXCLUDED.content,
       actor = EXCLUDED.actor, source = EXCLUDED.source, updated_at = now()
     RETURNING *, (xmax = 0) AS inserted`,
    [w.sessionId, w.rowId, w.turnId, w.afterItemId, w.kind, JSON.stringify(w.content), by.actor, by.source],
  );
  const r = rows[0]!;
  await new EventLog(db).append(
    [
      {
        type: 'transcript.updated',
        threadId: w.sessionId,
        source: service,
        ...(r.turn_id ? { turnId: r.turn_id } : {}),
        data: { rowId: r.id, action: r.inserted ? 'created' : 'replaced', row: toSupplemental(r) },
      },
    ],
    db,
  );
  return r;
}
