import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { INBOX_KINDS } from './inbox/model';

/**
 * Webhook targets (`CM_WEBHOOKS`) and the signature of a delivery. Shared by the configuration
 * (validation), the queue-worker (signing) and tests (verifying), so signer and verifier cannot
 * drift apart.
 */
/** The inbox item kinds a target may choose. */
export const WEBHOOK_ITEM_KINDS = INBOX_KINDS;

export const webhookTarget = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'name must be a lowercase slug (letters, digits, - and _)'),
    url: z
      .url({ message: 'url must be an http:// or https:// URL' })
      .refine((u) => /^https?:\/\//i.test(u), 'url must be an http:// or https:// URL'),
    // Never echoed in errors: zod messages carry no input values.
    secret: z.string().min(16, 'secret must be at least 16 characters'),
    kinds: z
      .array(z.enum(WEBHOOK_ITEM_KINDS, { message: `kinds are ${WEBHOOK_ITEM_KINDS.join(', ')}` }))
      .min(1, 'kinds must name at least one inbox item kind'),
  })
  .strict();

export type WebhookTarget = z.infer<typeof webhookTarget>;

/** `CM_WEBHOOKS` as JSON → validated targets with unique names. */
export const webhookTargets = z
  .string()
  .transform((v, ctx) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {name, url, secret, kinds}' });
      return z.NEVER;
    }
  })
  .pipe(z.array(webhookTarget))
  .refine((ts) => new Set(ts.map((t) => t.name)).size === ts.length, 'target names must be unique');

/** The header a receiver checks: `sha256=<hex HMAC-SHA256 of the raw body, keyed by the secret>`. */
export function signWebhook(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Constant-time check of an `X-CM-Signature` header against the raw body. */
export function verifyWebhookSignature(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
): boolean {
  if (!header) return false;
  const want = Buffer.from(signWebhook(secret, rawBody));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** A URL safe to show: no user info, query values masked (tokens often travel there). */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    for (const k of [...u.searchParams.keys()]) u.searchParams.set(k, '***');
    return u.toString().replace(/%2A%2A%2A/g, '***');
  } catch {
    return '(invalid url)';
  }
}
