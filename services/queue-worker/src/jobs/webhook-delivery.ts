import {
  JobFailure,
  signWebhook,
  webhookDeliveryPayload,
  type Pool,
  type WebhookTarget,
} from '@codex-manager/core';
import type { JobContext, JobHandler } from './types';

export interface WebhookDeliveryOptions {
  /** Per-attempt HTTP timeout (the job's own timeout is the outer bound). */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

const USER_AGENT = 'codex-manager-webhooks/1';

interface DeliveryRow {
  id: string;
  status: string;
}

/**
 * The delivery this job carries out: one per (target, event seq), so a job enqueued twice for the
 * same event (an extension redelivered after a crash) reuses the first one's id — the id receivers
 * dedupe on — and a delivery that already succeeded is not sent again.
 */
async function deliveryOf(
  pool: Pool,
  ctx: JobContext,
  t: WebhookTarget,
  p: DeliveryPayload,
): Promise<DeliveryRow> {
  await pool.query(
    `INSERT INTO webhook_deliveries (id, job_id, target, url, event, event_seq, item_id, item_kind, session_id)
     VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
    [ctx.job.id, t.name, t.url, p.event, p.seq, p.item.id, p.item.kind, p.item.sessionId ?? null],
  );
  const { rows } = await pool.query<DeliveryRow>(
    'SELECT id, status FROM webhook_deliveries WHERE target = $1 AND event_seq = $2',
    [t.name, p.seq],
  );
  return rows[0]!;
}

type DeliveryPayload = ReturnType<typeof webhookDeliveryPayload.parse>;

/** The item of the `inbox.added` event at `seq`; a fatal `invalid_payload` when there is none. */
async function loggedItem(pool: Pool, seq: number, itemId: string): Promise<DeliveryPayload['item']> {
  const { rows } = await pool.query<{ type: string; data: { item?: DeliveryPayload['item'] } }>(
    'SELECT type, data FROM events WHERE seq = $1',
    [seq],
  );
  const item = rows[0]?.type === 'inbox.added' ? rows[0].data.item : undefined;
  if (!item || item.id !== itemId)
    throw new JobFailure('invalid_payload', `event ${seq} is not inbox.added of item ${itemId}`);
  return item;
}

/** Answers worth sending the same request again for: the target is failing or asks to wait. */
const retryableStatus = (status: number): boolean =>
  status >= 500 || status === 408 || status === 425 || status === 429;

/**
 * `webhook-delivery`: POSTs `{event, item, deliveredAt}` to the target's URL, signed with its secret
 * (`X-CM-Signature: sha256=<hex HMAC-SHA256 of the raw body>`), with `X-CM-Delivery` (stable across
 * retries) and `X-CM-Timestamp`. Every attempt is audited; a network error, a timeout, a 5xx or a
 * 408/425/429 fails the attempt as `webhook_failed`, which the queue retries with backoff up to the
 * type's limit. Any other non-2xx answer (400, 401, 404, 410, a redirect…) is the target refusing the
 * delivery: `webhook_rejected`, failed for good at once, since sending the same request again cannot
 * change that answer.
 */
export function webhookDeliveryJob(
  pool: Pool,
  targets: WebhookTarget[],
  opts: WebhookDeliveryOptions = {},
): JobHandler {
  const doFetch = opts.fetch ?? fetch;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  return async (ctx: JobContext) => {
    const p = { ...webhookDeliveryPayload.parse(ctx.job.payload) };
    const target = targets.find((t) => t.name === p.target);
    if (!target) throw new JobFailure('not_found', `no webhook target named ${p.target} is configured`);
    // What is signed comes from the event log, not from the payload: a job enqueued by hand
    // (POST /api/jobs) cannot make the manager sign an item that never entered the inbox.
    p.item = await loggedItem(pool, p.seq, p.item.id);
    const delivery = await deliveryOf(pool, ctx, target, p);
    if (delivery.status === 'delivered')
      return { deliveryId: delivery.id, target: target.name, skipped: 'already delivered' };

    const deliveredAt = new Date();
    const body = JSON.stringify({ event: p.event, item: p.item, deliveredAt: deliveredAt.toISOString() });
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-cm-event': p.event,
      'x-cm-delivery': delivery.id,
      'x-cm-timestamp': String(Math.floor(deliveredAt.getTime() / 1000)),
      'x-cm-signature': signWebhook(target.secret, body),
    };
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await doFetch(target.url, {
        method: 'POST',
        headers,
        body,
        // A redirect is the target's answer, not a place to send a signed payload to.
        redirect: 'manual',
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(requestTimeoutMs)]),
      });
      statusCode = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
    } catch (e) {
      const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
      error =
        err.name === 'TimeoutError'
          ? `no answer within ${requestTimeoutMs} ms`
          : (err.cause?.code ?? err.cause?.message ?? err.message ?? String(e));
    }
    const durationMs = Math.round(performance.now() - started);
    const rejected = error !== null && statusCode !== null && !retryableStatus(statusCode);
    const last = rejected || ctx.job.attempts >= ctx.job.max_attempts;
    const status = error === null ? 'delivered' : last ? 'failed' : 'retrying';
    await pool.query(
      `WITH a AS (
         INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error)
         VALUES ($1, (SELECT count(*) + 1 FROM webhook_delivery_attempts WHERE delivery_id = $1), $2, $3, $4, $5)
         RETURNING attempt)
       UPDATE webhook_deliveries SET status = $6, attempts = (SELECT attempt FROM a), last_status_code = $4,
         last_error = $5, updated_at = now(), delivered_at = CASE WHEN $6 = 'delivered' THEN now() END
       WHERE id = $1`,
      [delivery.id, deliveredAt, durationMs, statusCode, error, status],
    );
    if (error !== null) {
      ctx.log.warn(
        { target: target.name, deliveryId: delivery.id, statusCode, error },
        'webhook delivery failed',
      );
      throw new JobFailure(
        rejected ? 'webhook_rejected' : 'webhook_failed',
        `webhook ${target.name}: ${error}`,
        {
          deliveryId: delivery.id,
          statusCode,
        },
      );
    }
    return { deliveryId: delivery.id, target: target.name, statusCode, durationMs };
  };
}
