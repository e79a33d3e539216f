import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Actions,
  BUILTIN_JOB_TYPES,
  CommandBus,
  EventLog,
  JobLifecycle,
  JobQueue,
  Notifier,
  createLogger,
  loadConfig,
  redactUrl,
  signWebhook,
  sqlActionBackends,
  verifyWebhookSignature,
  type JobTypeRegistry,
  type JobView,
  type WebhookTarget,
} from '../../core/src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { JobRunner } from '../src/job-runner';
import { webhookDeliveryJob } from '../src/jobs/webhook-delivery';

jest.setTimeout(90_000);

/** What the receiver got: raw body and headers of each request. */
interface Received {
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** A real HTTP receiver that answers with the next status of a script (then 200). */
class Receiver {
  readonly got: Received[] = [];
  script: number[] = [];
  #server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      this.got.push({ body, headers: req.headers });
      res.writeHead(this.script.shift() ?? 200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook?token=abc`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.#server.close(() => r()));
  }
}

const SECRET = 'a-test-secret-of-some-length';
const log = createLogger('test', 'silent');
// The real type, without the waits between attempts (the backoff is the queue's, tested elsewhere).
const TYPES: JobTypeRegistry = {
  'webhook-delivery': { ...BUILTIN_JOB_TYPES['webhook-delivery']!, retryDelaySeconds: 0, backoff: false },
};

let db: TestDatabase;
let notifier: Notifier;
let queue: JobQueue;
let runner: JobRunner | null = null;
const receiver = new Receiver();

function startRunner(targets: WebhookTarget[]): JobRunner {
  const bus = new CommandBus(db.pool, notifier);
  const backends = {
    pool: db.pool,
    bus,
    queue,
    ...sqlActionBackends(db.pool, bus, { commandTimeoutMs: 5000, lockDefaults: false }),
    commandTimeoutMs: 1000,
  };
  return new JobRunner({
    lifecycle: new JobLifecycle(db.pool, queue.boss!, new EventLog(db.pool), 'w-webhooks'),
    notifier,
    handlers: { 'webhook-delivery': webhookDeliveryJob(db.pool, targets, { requestTimeoutMs: 5000 }) },
    actionsFor: () => new Actions(backends, { actor: 'extension:webhooks', source: 'queue-worker' }),
    concurrency: 2,
    log,
  });
}

async function settled(id: string, statuses: JobView['status'][]): Promise<JobView> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const j = await queue.get(id);
    if (j && statuses.includes(j.status)) return j;
    if (Date.now() > deadline) throw new Error(`job ${id} did not reach ${statuses.join('/')}: ${j?.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const item = (id: string) => ({
  id,
  kind: 'approval',
  seq: 41,
  createdAt: new Date().toISOString(),
  sessionId: 'sess-1',
  title: 'Run: echo hi > out.txt',
  detail: { requestKind: 'commandApproval', command: 'echo hi > out.txt' },
});

/** Logs the `inbox.added` event of an item, as the inbox does, and returns the job payload for it. */
async function added(target: string, itemId: string) {
  const it = item(itemId);
  const range = await new EventLog(db.pool).append([
    { type: 'inbox.added', source: 'test', threadId: it.sessionId, data: { item: it } },
  ]);
  return { target, event: 'inbox.added', seq: range!.first, item: it };
}

async function attemptsOf(deliveryId: string) {
  return (
    await db.pool.query<{
      attempt: number;
      status_code: number | null;
      error: string | null;
      duration_ms: number;
    }>(
      'SELECT attempt, status_code, error, duration_ms FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt',
      [deliveryId],
    )
  ).rows;
}

beforeAll(async () => {
  await receiver.start();
  db = await createTestDatabase('webhook_delivery');
  notifier = new Notifier(db.url);
  await notifier.start();
  queue = await JobQueue.start({
    pool: db.pool,
    types: TYPES,
    enabled: true,
    maxPending: 50,
    source: 'test',
  });
});
afterEach(async () => {
  await runner?.stop(100);
  runner = null;
});
afterAll(async () => {
  await queue?.stop();
  await notifier?.stop();
  await db?.drop();
  await receiver.stop();
});

describe('signing', () => {
  it('is the hex HMAC-SHA256 of the raw body, verified in constant time', () => {
    const body = '{"event":"inbox.added"}';
    // The published HMAC-SHA256 test vector (key "key").
    expect(signWebhook('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
    const sig = signWebhook(SECRET, body);
    expect(verifyWebhookSignature(SECRET, body, sig)).toBe(true);
    expect(verifyWebhookSignature(SECRET, body + ' ', sig)).toBe(false);
    expect(verifyWebhookSignature('another-secret-entirely', body, sig)).toBe(false);
    expect(verifyWebhookSignature(SECRET, body, undefined)).toBe(false);
    expect(verifyWebhookSignature(SECRET, body, 'sha256=00')).toBe(false);
  });

  it('redacts user info and query values of a URL', () => {
    expect(redactUrl('https://u:p@hooks.example/x?token=s3cret&a=1')).toBe(
      'https://hooks.example/x?token=***&a=***',
    );
  });
});

describe('CM_WEBHOOKS', () => {
  const load = (v: string) => loadConfig({ env: { CM_WEBHOOKS: v } }).config.webhooks;
  it('parses targets and defaults to none', () => {
    expect(loadConfig({ env: {} }).config.webhooks).toEqual([]);
    expect(
      load(
        JSON.stringify([{ name: 'ops', url: 'https://h.example/x', secret: SECRET, kinds: ['approval'] }]),
      ),
    ).toEqual([{ name: 'ops', url: 'https://h.example/x', secret: SECRET, kinds: ['approval'] }]);
  });
  it('rejects bad targets without echoing the secret', () => {
    const bad = [
      'not json',
      JSON.stringify([{ name: 'ops', url: 'ftp://h.example', secret: SECRET, kinds: ['approval'] }]),
      JSON.stringify([{ name: 'ops', url: 'https://h.example', secret: 'short', kinds: ['approval'] }]),
      JSON.stringify([{ name: 'ops', url: 'https://h.example', secret: SECRET, kinds: ['nope'] }]),
      JSON.stringify([
        { name: 'ops', url: 'https://h.example', secret: SECRET, kinds: ['approval'] },
        { name: 'ops', url: 'https://h.example', secret: SECRET, kinds: ['question'] },
      ]),
    ];
    for (const v of bad) {
      let message = '';
      try {
        load(v);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/CM_WEBHOOKS/);
      expect(message).not.toContain(SECRET);
      expect(message).not.toContain('short');
    }
  });
});

describe('the webhook-delivery job', () => {
  it('retries a target answering 500 twice, then delivers: three attempts audited, each signed', async () => {
    const target = { name: 'ops', url: receiver.url, secret: SECRET, kinds: ['approval' as const] };
    runner = startRunner([target]);
    await runner.start();
    receiver.got.length = 0;
    receiver.script = [500, 500, 200];
    const { job } = await queue.enqueue('webhook-delivery', await added('ops', 'request:r1'), {
      requestedBy: 'extension:webhooks',
      source: 'test',
    });
    const done = await settled(job.id, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(done.attempts).toBe(3);
    expect(done.output).toMatchObject({ deliveryId: job.id, target: 'ops', statusCode: 200 });

    expect(receiver.got).toHaveLength(3);
    for (const r of receiver.got) {
      expect(verifyWebhookSignature(SECRET, r.body, r.headers['x-cm-signature'] as string)).toBe(true);
      expect(r.headers['x-cm-delivery']).toBe(job.id);
      expect(r.headers['content-type']).toBe('application/json');
      expect(Number(r.headers['x-cm-timestamp'])).toBeGreaterThan(1_600_000_000);
      const body = JSON.parse(r.body) as { event: string; item: { id: string }; deliveredAt: string };
      expect(body).toMatchObject({ event: 'inbox.added', item: { id: 'request:r1', kind: 'approval' } });
      expect(Date.parse(body.deliveredAt)).not.toBeNaN();
    }
    const attempts = await attemptsOf(job.id);
    expect(attempts.map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 500, 'HTTP 500'],
      [3, 200, null],
    ]);
    for (const a of attempts) expect(a.duration_ms).toBeGreaterThanOrEqual(0);
    const { rows } = await db.pool.query(
      'SELECT status, attempts, last_status_code, delivered_at FROM webhook_deliveries WHERE id = $1',
      [job.id],
    );
    expect(rows[0]).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200 });
    expect(rows[0].delivered_at).toBeInstanceOf(Date);
  });

  it('fails for good after one attempt when the target refuses (410), and retries one asking to wait (429)', async () => {
    runner = startRunner([{ name: 'ops', url: receiver.url, secret: SECRET, kinds: ['approval'] }]);
    await runner.start();
    receiver.got.length = 0;
    receiver.script = [410];
    const refused = await queue.enqueue('webhook-delivery', await added('ops', 'request:r10'), {
      requestedBy: 'extension:webhooks',
      source: 'test',
    });
    const failed = await settled(refused.job.id, ['failed']);
    expect(failed).toMatchObject({ attempts: 1, error: { code: 'webhook_rejected', class: 'fatal' } });
    expect(receiver.got).toHaveLength(1);
    expect((await attemptsOf(refused.job.id)).map((a) => [a.status_code, a.error])).toEqual([
      [410, 'HTTP 410'],
    ]);
    const { rows } = await db.pool.query(
      'SELECT status, last_status_code FROM webhook_deliveries WHERE id = $1',
      [refused.job.id],
    );
    expect(rows[0]).toMatchObject({ status: 'failed', last_status_code: 410 });

    receiver.got.length = 0;
    receiver.script = [429, 200];
    const busy = await queue.enqueue('webhook-delivery', await added('ops', 'request:r11'), {
      requestedBy: 'extension:webhooks',
      source: 'test',
    });
    const done = await settled(busy.job.id, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', attempts: 2 });
    expect(receiver.got).toHaveLength(2);
  });

  it('gives up after the bounded attempts on a target that cannot be reached, with each error audited', async () => {
    // A port nothing listens on: connection refused, every time.
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    runner = startRunner([
      { name: 'down', url: `http://127.0.0.1:${port}/`, secret: SECRET, kinds: ['approval'] },
    ]);
    await runner.start();
    const { job } = await queue.enqueue('webhook-delivery', await added('down', 'request:r2'), {
      requestedBy: 'extension:webhooks',
      source: 'test',
    });
    const failed = await settled(job.id, ['failed']);
    expect(failed.attempts).toBe(TYPES['webhook-delivery']!.maxAttempts);
    expect(failed.error).toMatchObject({ code: 'webhook_failed', class: 'retryable' });
    const attempts = await attemptsOf(job.id);
    expect(attempts).toHaveLength(TYPES['webhook-delivery']!.maxAttempts);
    for (const a of attempts) expect(a).toMatchObject({ status_code: null, error: 'ECONNREFUSED' });
    const { rows } = await db.pool.query('SELECT status FROM webhook_deliveries WHERE id = $1', [job.id]);
    expect(rows[0].status).toBe('failed');
  });

  it('fails for good when the target is no longer configured, and never sends twice for one event', async () => {
    runner = startRunner([{ name: 'ops', url: receiver.url, secret: SECRET, kinds: ['approval'] }]);
    await runner.start();
    const gone = await queue.enqueue('webhook-delivery', await added('removed', 'request:r3'), {
      requestedBy: 'extension:webhooks',
      source: 'test',
    });
    const failed = await settled(gone.job.id, ['failed']);
    expect(failed).toMatchObject({ attempts: 1, error: { code: 'not_found', class: 'fatal' } });

    receiver.got.length = 0;
    receiver.script = [];
    const payload = await added('ops', 'request:r4');
    const first = await queue.enqueue('webhook-delivery', payload, { requestedBy: 'x', source: 'test' });
    await settled(first.job.id, ['completed']);
    // The same event again (an extension redelivered after a crash): the delivery is not repeated.
    const again = await queue.enqueue('webhook-delivery', payload, { requestedBy: 'x', source: 'test' });
    const second = await settled(again.job.id, ['completed']);
    expect(second.output).toMatchObject({ deliveryId: first.job.id, skipped: 'already delivered' });
    expect(receiver.got).toHaveLength(1);
  });

  it('signs only what the inbox logged: a payload naming another item or event fails for good', async () => {
    runner = startRunner([{ name: 'ops', url: receiver.url, secret: SECRET, kinds: ['approval'] }]);
    await runner.start();
    receiver.got.length = 0;
    const real = await added('ops', 'request:r5');
    const forged = await queue.enqueue(
      'webhook-delivery',
      { ...real, item: { ...real.item, id: 'request:forged', title: 'Run: rm -rf /' } },
      { requestedBy: 'someone', source: 'test' },
    );
    expect(await settled(forged.job.id, ['failed'])).toMatchObject({
      attempts: 1,
      error: { code: 'invalid_payload', class: 'fatal' },
    });
    // A payload whose item was edited keeps the id: what is sent is the logged item, not the edit.
    const edited = await queue.enqueue(
      'webhook-delivery',
      { ...real, item: { ...real.item, title: 'Run: rm -rf /' } },
      { requestedBy: 'someone', source: 'test' },
    );
    await settled(edited.job.id, ['completed']);
    expect(receiver.got).toHaveLength(1);
    expect(JSON.parse(receiver.got[0]!.body).item.title).toBe('Run: echo hi > out.txt');
  });
});
