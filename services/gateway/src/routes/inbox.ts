import { z } from 'zod';
import {
  AppError,
  DISMISSIBLE,
  ErrorCode,
  INBOX_KINDS,
  inboxItemSchema,
  invalidRequest,
  listInbox,
  notFound,
  removeInboxItems,
  withTransaction,
  type InboxKind,
  type Pool,
} from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';

const listQuery = z.object({
  kind: z
    .string()
    .optional()
    .describe(`comma-separated: ${INBOX_KINDS.join(', ')}`),
  sessionId: z.string().min(1).optional(),
  projectId: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

const countsSchema = z.object({
  total: z.number().int(),
  byKind: z.record(z.enum(INBOX_KINDS), z.number().int()),
});

function parseKinds(v: string | undefined): InboxKind[] | undefined {
  if (!v) return undefined;
  const kinds = v.split(',').map((k) => k.trim());
  const bad = kinds.filter((k) => !(INBOX_KINDS as readonly string[]).includes(k));
  if (bad.length > 0) throw invalidRequest(`unknown inbox kind: ${bad.join(', ')}`, { allowed: INBOX_KINDS });
  return kinds as InboxKind[];
}

/** The cursor is the seq of the last item of the page: the next page has only older items. */
const encodeCursor = (seq: number) => Buffer.from(`inbox|${seq}`).toString('base64url');
function decodeCursor(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const [tag, seq] = Buffer.from(v, 'base64url').toString('utf8').split('|');
  const n = Number(seq);
  if (tag !== 'inbox' || !Number.isSafeInteger(n) || n < 0)
    throw invalidRequest('cursor is not one this API returned');
  return n;
}

/**
 * One inbox for everything that waits for a person, across sessions and projects. Items are acted
 * on through the routes of their cause (approvals, tool input, tool calls, jobs); failed and long
 * turns and failed jobs can also be dismissed.
 */
export function inboxRoutes(deps: { pool: Pool }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/inbox',
      operationId: 'inbox.list',
      summary: 'Open items that need a person, newest first, with counts by kind',
      query: listQuery,
      responses: {
        200: {
          description: 'A page of items',
          schema: z.object({
            items: z.array(inboxItemSchema),
            nextCursor: z.string().nullable(),
            counts: countsSchema,
          }),
        },
      },
      async handler({ query }) {
        const page = await listInbox(deps.pool, {
          kinds: parseKinds(query.kind),
          sessionId: query.sessionId,
          projectId: query.projectId,
          beforeSeq: decodeCursor(query.cursor),
          limit: query.limit,
        });
        const byKind = Object.fromEntries(INBOX_KINDS.map((k) => [k, page.counts[k] ?? 0])) as Record<
          InboxKind,
          number
        >;
        return {
          body: {
            items: page.items,
            nextCursor: page.nextBeforeSeq === null ? null : encodeCursor(page.nextBeforeSeq),
            counts: { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind },
          },
        };
      },
    }),
    route({
      method: 'post',
      path: '/inbox/:id/dismiss',
      operationId: 'inbox.dismiss',
      summary: 'Dismiss a failed turn, a long turn or a failed job (requests leave when answered)',
      params: z.object({ id: z.string().min(1).max(300) }),
      responses: {
        200: {
          description: 'Dismissed (also for a repeat)',
          schema: z.object({ id: z.string(), dismissed: z.literal(true), alreadyDismissed: z.boolean() }),
        },
      },
      async handler({ params, req }) {
        const origin = originOf(req);
        return withTransaction(deps.pool, async (db) => {
          const { rows } = await db.query<{ kind: InboxKind }>(
            'SELECT kind FROM inbox_items WHERE id = $1 FOR UPDATE',
            [params.id],
          );
          const kind = rows[0]?.kind;
          if (!kind) {
            const seen = await db.query('SELECT 1 FROM inbox_dismissals WHERE id = $1', [params.id]);
            if (seen.rowCount)
              return { body: { id: params.id, dismissed: true as const, alreadyDismissed: true } };
            throw notFound('inbox item', params.id);
          }
          if (!DISMISSIBLE.includes(kind)) {
            throw new AppError(
              ErrorCode.conflict,
              `inbox item ${params.id} is a ${kind}: answer it instead`,
              {
                details: { id: params.id, kind },
                suggestion: 'decide, answer or respond through the request routes; it leaves the inbox then',
              },
            );
          }
          await db.query(
            `INSERT INTO inbox_dismissals (id, kind, actor, source) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
            [params.id, kind, origin.actor, origin.source],
          );
          await removeInboxItems(db, { id: params.id }, { reason: 'dismissed', ...origin }, 'gateway');
          return { body: { id: params.id, dismissed: true as const, alreadyDismissed: false } };
        });
      },
    }),
  ];
}
