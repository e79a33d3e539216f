import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../services/core/src';
import { turnEnded, until } from '../helpers/poll';
import { sendMessage, untrustedSession } from '../helpers/sessions';
import { startStack, type Stack } from '../helpers/stack';

// Webhook delivery through the whole stack: an approval raised by the real runtime (`scn:exec` in a
// session with approval policy `untrusted`) becomes an inbox item, the bundled `webhooks` extension
// queues its delivery, and the queue-worker POSTs it, signed, to a local receiver — after the
// receiver refused the first attempt.

jest.setTimeout(240_000);

const SECRET = 'e2e-webhook-secret-0123456789';

interface Received {
  body: string;
  headers: http.IncomingHttpHeaders;
}

let stack: Stack;
let server: http.Server;
const got: Received[] = [];
/** Statuses the receiver answers with, in order; then 204. */
const script: number[] = [503];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      got.push({ body, headers: req.headers });
      res.writeHead(script.shift() ?? 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/cm?key=query-secret`;
  stack = await startStack('webhooks', {
    env: {
      CM_WEBHOOKS: JSON.stringify([
        { name: 'ops', url, secret: SECRET, kinds: ['approval'] },
        { name: 'pager', url, secret: 'another-secret-0123456789', kinds: ['failedTurn'] },
      ]),
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => server?.close(() => r()));
});

interface Delivery {
  id: string;
  target: string;
  url: string;
  itemId: string;
  itemKind: string;
  status: string;
  attempts: { attempt: number; statusCode: number | null; error: string | null; durationMs: number }[];
}

it('delivers an approval raised by the runtime to its target, signed, after a refused first attempt', async () => {
  const { id: sessionId } = await untrustedSession(stack);
  const turnId = await sendMessage(stack, sessionId, 'scn:exec please');

  const deliveries = async () =>
    (await stack.api<{ deliveries: Delivery[] }>('GET', '/api/webhooks/deliveries?target=ops')).body
      .deliveries;
  const [delivery] = await until(
    'a delivered webhook',
    async () => {
      const d = await deliveries();
      return d.length && d[0]!.status === 'delivered' ? d : null;
    },
    120_000,
  );
  expect(delivery).toMatchObject({ target: 'ops', itemKind: 'approval', status: 'delivered' });
  expect(delivery!.itemId).toMatch(/^request:/);
  expect(delivery!.attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
    [1, 503, 'HTTP 503'],
    [2, 204, null],
  ]);
  // Neither the secret nor the URL's query value is ever returned.
  expect(delivery!.url).toMatch(/\/hooks\/cm\?key=\*\*\*$/);
  const everything = JSON.stringify(await deliveries());
  expect(everything).not.toContain(SECRET);
  expect(everything).not.toContain('query-secret');

  // Both attempts reached the receiver, signed over the raw body, with the same delivery id.
  expect(got).toHaveLength(2);
  for (const r of got) {
    expect(verifyWebhookSignature(SECRET, r.body, r.headers['x-cm-signature'] as string)).toBe(true);
    expect(r.headers['x-cm-delivery']).toBe(delivery!.id);
    expect(r.headers['x-cm-timestamp']).toMatch(/^\d+$/);
    const body = JSON.parse(r.body) as { event: string; item: Record<string, unknown>; deliveredAt: string };
    expect(body.event).toBe('inbox.added');
    expect(body.item).toMatchObject({ id: delivery!.itemId, kind: 'approval', sessionId });
    expect(String((body.item.detail as { command?: string }).command)).toContain('echo hi > out.txt');
  }
  // The other target did not choose approvals.
  const pager = await stack.api<{ deliveries: Delivery[] }>('GET', '/api/webhooks/deliveries?target=pager');
  expect(pager.body.deliveries).toEqual([]);

  // A second approval in the session: the audit pages newest first with a cursor, and refuses a
  // cursor it did not hand out.
  const decided = await stack.api(
    'POST',
    `/api/approvals/${delivery!.itemId.slice('request:'.length)}/decision`,
    {
      decision: 'decline',
    },
  );
  expect(decided.status).toBe(200);
  await turnEnded(stack, sessionId, turnId);
  expect(
    (await stack.api('POST', `/api/sessions/${sessionId}/messages`, { text: 'scn:exec again' })).status,
  ).toBe(202);
  const both = await until(
    'two delivered webhooks',
    async () => {
      const d = await deliveries();
      return d.length === 2 && d.every((x) => x.status === 'delivered') ? d : null;
    },
    120_000,
  );
  const page1 = await stack.api<{ deliveries: Delivery[]; nextCursor: string | null }>(
    'GET',
    '/api/webhooks/deliveries?target=ops&limit=1',
  );
  expect(page1.body.deliveries.map((d) => d.id)).toEqual([both[0]!.id]);
  expect(page1.body.nextCursor).toEqual(expect.any(String));
  const page2 = await stack.api<{ deliveries: Delivery[]; nextCursor: string | null }>(
    'GET',
    `/api/webhooks/deliveries?target=ops&limit=1&cursor=${page1.body.nextCursor}`,
  );
  expect(page2.body.deliveries.map((d) => d.id)).toEqual([both[1]!.id]);
  expect(page2.body.nextCursor).toBeNull();
  const byItem = await stack.api<{ deliveries: Delivery[] }>(
    'GET',
    `/api/webhooks/deliveries?itemId=${encodeURIComponent(delivery!.itemId)}&status=delivered&kind=approval`,
  );
  expect(byItem.body.deliveries.map((d) => d.id)).toEqual([delivery!.id]);
  const bad = await stack.api<{ error: { code: string } }>('GET', '/api/webhooks/deliveries?cursor=nope');
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe('invalid_request');
  expect((await stack.api('GET', '/api/webhooks/deliveries?status=lost')).status).toBe(400);
});
