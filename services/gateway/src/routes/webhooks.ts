import { z } from 'zod';
import { invalidRequest, redactUrl, WEBHOOK_ITEM_KINDS, type Pool } from '@codex-manager/core';
import { route, type RouteSpec } from '../http/route';

export interface WebhookRouteDeps {
  pool: Pool;
}

const DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'failed'] as const;

const attemptSchema = z.object({
  attempt: z.number(),
  startedAt: z.string(),
  durationMs: z.number(),
  statusCode: z.number().nullable().describe('the HTTP status the target answered; null on a network error'),
  error: z.string().nullable(),
});

const deliverySchema = z.object({
  id: z.string().describe('the X-CM-Delivery header the target received (the same on every attempt)'),
  jobId: z.string().nullable(),
  target: z.string(),
  url: z.string().describe('the target URL, user info and query values masked'),
  event: z.string(),
  eventSeq: z.number(),
  itemId: z.string(),
  itemKind: z.string(),
  sessionId: z.string().nullable(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.array(attemptSchema),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});

const listQuery = z.object({
  target: z.string().min(1).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  kind: z.enum(WEBHOOK_ITEM_KINDS).optional(),
  itemId: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).optional(),
});

interface DeliveryRow {
  id: string;
  job_id: string | null;
  target: string;
  url: string;
  event: string;
  event_seq: string;
  item_id: string;
  item_kind: string;
  session_id: string | null;
  status: (typeof DELIVERY_STATUSES)[number];
  created_at: Date;
  delivered_at: Date | null;
  attempts: {
    attempt: number;
    started_at: string;
    duration_ms: number;
    status_code: number | null;
    error: string | null;
  }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The cursor is the last delivery's id: rows are never deleted, so the page continues exactly there. */
function cursorId(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID.test(id)) throw invalidRequest('cursor is not one this API returned');
  return id;
}

const toDelivery = (r: DeliveryRow) => ({
  id: r.id,
  jobId: r.job_id,
  target: r.target,
  url: redactUrl(r.url),
  event: r.event,
  eventSeq: Number(r.event_seq),
  itemId: r.item_id,
  itemKind: r.item_kind,
  sessionId: r.session_id,
  status: r.status,
  attempts: r.attempts.map((a) => ({
    attempt: a.attempt,
    startedAt: new Date(a.started_at).toISOString(),
    durationMs: a.duration_ms,
    statusCode: a.status_code,
    error: a.error,
  })),
  createdAt: r.created_at.toISOString(),
  deliveredAt: r.delivered_at?.toISOString() ?? null,
});

/** The audit of webhook deliveries made by the bundled `webhooks` extension (docs/webhooks.md). */
export function webhookRoutes(deps: WebhookRouteDeps): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/webhooks/deliveries',
      operationId: 'webhooks.deliveries',
      summary: 'Webhook deliveries, newest first, each with every attempt (status code or error, timing)',
      description:
        'Filters: target, status, kind (of the inbox item), itemId. Secrets are never stored or returned; ' +
        'URLs come with user info and query values masked.',
      query: listQuery,
      responses: {
        200: {
          description: 'Deliveries',
          schema: z.object({ deliveries: z.array(deliverySchema), nextCursor: z.string().nullable() }),
        },
      },
      async handler({ query }) {
        const after = cursorId(query.cursor);
        const { rows } = await deps.pool.query<DeliveryRow>(
          `SELECT d.*, COALESCE((
             SELECT json_agg(json_build_object('attempt', a.attempt, 'started_at', a.started_at,
                      'duration_ms', a.duration_ms, 'status_code', a.status_code, 'error', a.error)
                    ORDER BY a.attempt)
             FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id), '[]') AS attempts
           FROM webhook_deliveries d
           WHERE ($1::text IS NULL OR d.target = $1)
             AND ($2::text IS NULL OR d.status = $2)
             AND ($3::text IS NULL OR d.item_kind = $3)
             AND ($4::text IS NULL OR d.item_id = $4)
             AND ($5::uuid IS NULL OR (d.created_at, d.id) <
                  (SELECT created_at, id FROM webhook_deliveries WHERE id = $5))
           ORDER BY d.created_at DESC, d.id DESC
           LIMIT $6`,
          [
            query.target ?? null,
            query.status ?? null,
            query.kind ?? null,
            query.itemId ?? null,
            after,
            query.limit + 1,
          ],
        );
        const page = rows.slice(0, query.limit);
        const last = page[page.length - 1];
        const nextCursor =
          rows.length > query.limit && last ? Buffer.from(last.id).toString('base64url') : null;
        return { body: { deliveries: page.map(toDelivery), nextCursor } };
      },
    }),
  ];
}
