import { z } from 'zod';
import {
  invalidRequest,
  notFound,
  supplementalSchema,
  toSupplemental,
  upsertTranscriptRow,
  withTransaction,
} from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';
import { requireSession } from '../sessions/store';
import { appendEvents, type RouteDeps } from './common';

const rowParams = z.object({
  id: z.string().min(1).max(200),
  rowId: z.string().regex(/^[A-Za-z0-9._:@-]{1,200}$/, 'letters, digits and . _ : @ -, at most 200'),
});

const upsertBody = z
  .object({
    kind: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .describe('e.g. note, review, suggestion'),
    content: z.unknown().refine((v) => v !== undefined, 'content is required'),
    turnId: z.string().min(1).max(200).nullable().default(null).describe('the turn the row belongs to'),
    afterItemId: z
      .string()
      .min(1)
      .max(200)
      .nullable()
      .default(null)
      .describe('place the row right after this item of the turn'),
  })
  .strict();

/**
 * Supplemental transcript rows: manager-owned entries (notes, reviews, suggestions) shown in the
 * transcript next to the runtime's items. A row's id is chosen by the writer, so writing it again
 * updates it instead of adding a duplicate.
 */
export function transcriptRoutes(deps: RouteDeps): RouteSpec[] {
  return [
    route({
      method: 'put',
      path: '/sessions/:id/transcript/:rowId',
      operationId: 'sessions.upsertTranscriptRow',
      summary: 'Create or replace a supplemental transcript row by its stable id',
      params: rowParams,
      body: upsertBody,
      responses: {
        200: {
          description: 'Replaced',
          schema: z.object({ row: supplementalSchema, created: z.literal(false) }),
        },
        201: {
          description: 'Created',
          schema: z.object({ row: supplementalSchema, created: z.literal(true) }),
        },
      },
      async handler({ params, body, req }) {
        const s = await requireSession(deps.pool, params.id, { mutating: true });
        if (body.afterItemId && !body.turnId) throw invalidRequest('afterItemId needs a turnId');
        if (body.turnId) {
          const t = await deps.pool.query('SELECT 1 FROM turns WHERE session_id = $1 AND id = $2', [
            s.id,
            body.turnId,
          ]);
          if (!t.rowCount) throw notFound('turn', body.turnId);
        }
        const row = await withTransaction(deps.pool, (db) =>
          upsertTranscriptRow(
            db,
            {
              sessionId: s.id,
              rowId: params.rowId,
              kind: body.kind,
              content: body.content,
              turnId: body.turnId,
              afterItemId: body.afterItemId,
            },
            originOf(req),
            'gateway',
          ),
        );
        return {
          status: row.inserted ? 201 : 200,
          body: { row: toSupplemental(row), created: row.inserted },
        };
      },
    }),
    route({
      method: 'delete',
      path: '/sessions/:id/transcript/:rowId',
      operationId: 'sessions.deleteTranscriptRow',
      summary: 'Delete a supplemental transcript row',
      params: rowParams,
      responses: {
        200: { description: 'Deleted', schema: z.object({ id: z.string(), deleted: z.literal(true) }) },
      },
      async handler({ params }) {
        const s = await requireSession(deps.pool, params.id, { mutating: true });
        await withTransaction(deps.pool, async (db) => {
          const { rowCount } = await db.query(
            'DELETE FROM transcript_rows WHERE session_id = $1 AND id = $2',
            [s.id, params.rowId],
          );
          if (!rowCount) throw notFound('transcript row', params.rowId);
          await appendEvents(db, [
            { type: 'transcript.updated', threadId: s.id, data: { rowId: params.rowId, action: 'deleted' } },
          ]);
        });
        return { body: { id: params.rowId, deleted: true } };
      },
    }),
  ];
}
