import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadDocument, operationsOf } from '../../src/api/openapi';
import { toolInputBody } from '../../src/chat/questions';
import { INBOX_KINDS, age, describeInboxEvent, renderInbox, type InboxItem } from '../../src/inbox/view';
import { createStyle } from '../../src/output/style';
import { rateLimitLines, renderUsage } from '../../src/output/usage-view';
import { runInProcess } from '../helpers/run';

/**
 * `cmgr inbox` against a scripted local server: which route each action calls with which body, how
 * item ids map to request and job ids, and the errors and exit codes. The real stack is exercised by
 * cli/test/e2e/cli.inbox.test.ts.
 */
const plain = createStyle(false);
const decideSchema = operationsOf(loadDocument()).find((o) => o.id === 'toolInput.decide')?.body?.schema;
const now = Date.parse('2026-05-04T12:00:00Z');

const approval: InboxItem = {
  id: 'request:r1',
  kind: 'approval',
  seq: 10,
  createdAt: '2026-05-04T11:55:00Z',
  sessionId: 'sess-0123456789',
  sessionTitle: 'Fix the tests',
  projectId: null,
  turnId: 't1',
  title: 'Run: npm test',
  requestId: 'r1',
  jobId: null,
  detail: {
    requestKind: 'commandApproval',
    command: 'npm test',
    cwd: '/w',
    decisions: ['accept', 'decline'],
  },
  actions: ['decide'],
};

interface Seen {
  method: string;
  url: string;
  body: string;
  headers: http.IncomingHttpHeaders;
}
const seen: Seen[] = [];
let server: http.Server;
let url: string;

/** Answers by route; unknown ids get the API's 404 document. */
function answer(req: Seen): [number, unknown] {
  if (req.method === 'GET' && req.url.startsWith('/api/inbox'))
    return [
      200,
      { items: [approval], nextCursor: 'c2', counts: { total: 3, byKind: { approval: 2, question: 1 } } },
    ];
  if (req.url === '/api/approvals/r1/decision') return [200, { status: 'resolved', request: { id: 'r1' } }];
  if (req.url === '/api/tool-input/q1')
    return [
      200,
      {
        request: {
          id: 'q1',
          params: {
            questions: [
              { id: 'color', question: 'Which colour?', options: [{ label: 'Red' }, { label: 'Blue' }] },
              { id: 'size', question: 'Which size?', options: null },
            ],
          },
        },
      },
    ];
  if (req.url === '/api/tool-input/q1/decision') return [200, { status: 'resolved' }];
  if (req.url === '/api/tool-calls/c1/response') return [200, { status: 'resolved' }];
  if (req.url === '/api/jobs/j1/retry') return [200, { job: { id: 'j1', status: 'queued' } }];
  if (req.url === `/api/inbox/${encodeURIComponent('turn:s1:t1')}/dismiss`)
    return [200, { id: 'turn:s1:t1', dismissed: true }];
  if (req.url.startsWith('/api/inbox/') && req.url.endsWith('/dismiss'))
    return [409, { error: { code: 'conflict', message: 'a request leaves the inbox when it is answered' } }];
  return [404, { error: { code: 'not_found', message: `nothing at ${req.url}` } }];
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, body, headers: req.headers };
      seen.push(s);
      const [status, out] = answer(s);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => (seen.length = 0));

const cmgr = (args: string[], stdin?: string) =>
  runInProcess(['--url', url, '--actor', 'tester', ...args], {
    fetch,
    ...(stdin !== undefined ? { stdin } : {}),
  });

describe('cmgr inbox', () => {
  it('lists with filters as a table of kind, title, session and age, counts and the next page', async () => {
    const r = await cmgr(['inbox', 'list', '--kind', 'approval,question', '--session', 's1', '--limit', '5']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(seen[0]!.url).toBe('/api/inbox?kind=approval%2Cquestion&sessionId=s1&limit=5');
    expect(r.stdout).toMatch(/KIND\s+TITLE\s+SESSION\s+AGE\s+ID/);
    expect(r.stdout).toMatch(/approval\s+Run: npm test\s+Fix the tests\s+\d+ (s|min|h|d)\s+request:r1/);
    expect(r.stdout).toContain('3 open: 2 approval, 1 question');
    expect(r.stdout).toContain('more: add --cursor c2');
    // `cmgr inbox` alone lists too.
    expect((await cmgr(['inbox'])).stdout).toContain('request:r1');
  });

  it('refuses an unknown kind as a usage error before calling the server', async () => {
    const r = await cmgr(['--json', 'inbox', 'list', '--kind', 'nope']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: { code: 'usage', message: expect.stringMatching(/--kind/) },
    });
    expect(seen).toHaveLength(0);
  });

  it('decides an approval by item id or request id, with short decisions', async () => {
    const r = await cmgr(['inbox', 'decide', 'request:r1', 'a']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('✓ accept request r1');
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/api/approvals/r1/decision',
      body: '{"decision":"accept"}',
    });
    expect(seen[0]!.headers).toMatchObject({ 'x-client': 'cli', 'x-actor': 'tester' });
    await cmgr(['inbox', 'decide', 'r1', 'decline']);
    expect(seen[1]).toMatchObject({ url: '/api/approvals/r1/decision', body: '{"decision":"decline"}' });
  });

  it('says what is wrong with a bad decision or a non-request item, and maps API errors to exit codes', async () => {
    const bad = await cmgr(['--json', 'inbox', 'decide', 'request:r1', 'maybe']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toMatch(/unknown decision 'maybe'/);
    const job = await cmgr(['inbox', 'decide', 'job:j1', 'accept']);
    expect(job.code).toBe(2);
    expect(job.stderr).toMatch(/job:j1 is not a request/);
    const missing = await cmgr(['--json', 'inbox', 'decide', 'request:zzz', 'accept']);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'not_found' } });
    expect(seen.map((s) => s.url)).toEqual(['/api/approvals/zzz/decision']);
  });

  it('answers questions from flags and from piped prompts, in the shape the route takes', async () => {
    const r = await cmgr(['inbox', 'answer', 'request:q1', '--answer', 'color=Blue', '--answer', 'size=XL']);
    expect(r).toMatchObject({ code: 0 });
    expect(seen.map((s) => s.method + ' ' + s.url)).toEqual([
      'GET /api/tool-input/q1',
      'POST /api/tool-input/q1/decision',
    ]);
    expect(JSON.parse(seen[1]!.body)).toEqual(toolInputBody({ color: ['Blue'], size: ['XL'] }, decideSchema));

    seen.length = 0;
    const prompted = await cmgr(['inbox', 'answer', 'request:q1', '--answer', 'size=M'], '1\n');
    expect(prompted.code).toBe(0);
    expect(prompted.stderr).toContain('Which colour?');
    expect(JSON.parse(seen[1]!.body)).toEqual(toolInputBody({ size: ['M'], color: ['Red'] }, decideSchema));

    const unknown = await cmgr(['inbox', 'answer', 'request:q1', '--answer', 'shape=round']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no question 'shape'.*\n.*color, size/);
  });

  it('responds to a tool call with text from an argument or stdin, as a success or a failure', async () => {
    const ok = await cmgr(['inbox', 'respond', 'request:c1', 'ticket T-42 is open']);
    expect(ok.stdout).toContain('✓ responded to request c1');
    expect(JSON.parse(seen[0]!.body)).toEqual({
      contentItems: [{ type: 'inputText', text: 'ticket T-42 is open' }],
      success: true,
    });
    const failed = await cmgr(['inbox', 'respond', 'c1', '--failed'], 'no such ticket\n');
    expect(failed.stdout).toContain('(as a failure)');
    expect(JSON.parse(seen[1]!.body)).toEqual({
      contentItems: [{ type: 'inputText', text: 'no such ticket' }],
      success: false,
    });
    const empty = await cmgr(['--json', 'inbox', 'respond', 'c1'], '');
    expect(empty.code).toBe(2);
    expect(seen).toHaveLength(2);
  });

  it('retries a failed job and dismisses an item, its id encoded', async () => {
    expect((await cmgr(['inbox', 'retry', 'job:j1'])).stdout).toContain('✓ retried job j1');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/jobs/j1/retry' });
    expect((await cmgr(['inbox', 'dismiss', 'turn:s1:t1'])).stdout).toContain('✓ dismissed turn:s1:t1');
    expect(seen[1]!.url).toBe('/api/inbox/turn%3As1%3At1/dismiss');
    const conflict = await cmgr(['--json', 'inbox', 'dismiss', 'request:r1']);
    expect(conflict.code).toBe(4);
    expect(JSON.parse(conflict.stdout)).toMatchObject({ error: { code: 'conflict' } });
  });
});

describe('inbox and usage views', () => {
  it('know every inbox kind of the API document (docs/openapi.json), in its order', () => {
    const doc = loadDocument() as unknown as {
      paths: Record<string, { get: { responses: Record<string, unknown> } }>;
    };
    const schema = (
      doc.paths['/api/inbox']!.get.responses['200'] as {
        content: {
          'application/json': {
            schema: { properties: { items: { items: { properties: { kind: { enum: string[] } } } } } };
          };
        };
      }
    ).content['application/json'].schema;
    expect([...INBOX_KINDS]).toEqual(schema.properties.items.items.properties.kind.enum);
  });

  it('shows ages in the unit that reads best', () => {
    expect(age('2026-05-04T11:59:30Z', now)).toBe('30 s');
    expect(age('2026-05-04T11:55:00Z', now)).toBe('5 min');
    expect(age('2026-05-04T09:00:00Z', now)).toBe('3 h');
    expect(age('2026-05-01T12:00:00Z', now)).toBe('3 d');
  });

  it('renders an empty inbox and the watch lines of an arrival and a departure', () => {
    expect(
      renderInbox({ items: [], nextCursor: null, counts: { total: 0, byKind: {} } }, plain, 100, now),
    ).toBe('(none)\n0 open');
    const added = describeInboxEvent(
      {
        seq: 12,
        ts: '2026-05-04T12:00:00Z',
        type: 'inbox.added',
        source: 'gateway',
        data: { item: approval },
      },
      plain,
    );
    expect(added[0]).toMatch(
      /12 \d\d:\d\d:\d\d \+ approval {2}Run: npm test {2}\[Fix the tests\] request:r1/,
    );
    expect(added).toContain('  $ npm test');
    expect(added[added.length - 1]).toBe('  → cmgr inbox decide request:r1 accept');
    const removed = describeInboxEvent(
      {
        seq: 13,
        ts: '2026-05-04T12:00:01Z',
        type: 'inbox.removed',
        source: 'gateway',
        data: { id: 'request:r1', kind: 'approval', reason: 'resolved', actor: 'bob', source: 'web' },
      },
      plain,
    );
    expect(removed[0]).toMatch(/- approval {2}request:r1 {2}resolved by bob \(web\)$/);
  });

  it('renders usage with separators, cost and totals, and the rate-limit windows', () => {
    const text = renderUsage(
      {
        groupBy: 'day',
        rows: [
          {
            key: '2026-05-04',
            label: null,
            turns: 3,
            inputTokens: 12345,
            cachedInputTokens: 2000,
            outputTokens: 678,
            reasoningOutputTokens: 0,
            totalTokens: 13023,
            cost: 0.0421,
          },
        ],
        totals: {
          turns: 3,
          inputTokens: 12345,
          cachedInputTokens: 2000,
          outputTokens: 678,
          totalTokens: 13023,
          cost: null,
        },
        rateLimits: { rateLimits: { primary: { usedPercent: 42, windowDurationMins: 300, resetsAt: null } } },
      },
      plain,
      120,
    );
    expect(text).toMatch(/DAY\s+TURNS\s+INPUT\s+CACHED\s+OUTPUT\s+TOTAL\s+COST/);
    expect(text).toMatch(/2026-05-04\s+3\s+12,345\s+2,000\s+678\s+13,023\s+\$0\.04/);
    expect(text).toContain(
      'total: 12,345 input (2,000 cached), 678 output, 13,023 tokens in 3 turns; cost - (a model has no price',
    );
    expect(text).toContain('rate limit primary: 42% used of 5 h');
    expect(rateLimitLines(null)).toEqual([]);
    expect(rateLimitLines({ primary: null, secondary: null })).toEqual(['rate limits: no window reported']);
  });
});
