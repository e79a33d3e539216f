import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { EventEnvelope } from '../../services/core/src';
import { SseClient } from '../helpers/sse';
import { startStack, type Stack } from '../helpers/stack';

// The inbox and usage against the real stack: items enter when the runtime asks or a turn or job
// fails, leave exactly when their cause is resolved (from any client), and usage equals the sums of
// the runtime's own usage notifications.
jest.setTimeout(240_000);

const PRICES = { 'mock-model': { input: 2, cachedInput: 0.5, output: 8 } };
let stack: Stack;
let stream: SseClient;
beforeAll(async () => {
  stack = await startStack('inbox_usage', {
    env: { CM_PRICES: JSON.stringify(PRICES), CM_INBOX_TOOL_CALL_GRACE_MS: '1500' },
  });
  stream = new SseClient(`${stack.url}/api/stream?after=0`);
});
afterAll(async () => {
  await stream?.close();
  await stack?.stop();
});

interface Item {
  id: string;
  kind: string;
  title: string;
  sessionId: string | null;
  requestId: string | null;
  jobId: string | null;
  detail: Record<string, unknown>;
  actions: string[];
}
interface Inbox {
  items: Item[];
  nextCursor: string | null;
  counts: { total: number; byKind: Record<string, number> };
}

const inbox = async (q = '') => (await stack.api<Inbox>('GET', `/api/inbox${q}`)).body;
const added = (pred: (i: Item) => boolean) => (c: SseClient) =>
  c.events.find((e) => e.type === 'inbox.added' && pred((e.data as { item: Item }).item));
const removed = (id: string) => (c: SseClient) =>
  c.events.find((e) => e.type === 'inbox.removed' && (e.data as { id: string }).id === id);
async function waitEvent(find: (c: SseClient) => EventEnvelope | undefined, what: string) {
  await stream.waitFor((c) => find(c) !== undefined, 90_000, what);
  return find(stream)!;
}

let dirs = 0;
async function session(extra: Record<string, unknown> = {}): Promise<string> {
  const cwd = path.join(stack.dataDir, `inbox-${++dirs}`);
  mkdirSync(cwd, { recursive: true });
  const res = await stack.api<{ session: { id: string } }>('POST', '/api/sessions', { cwd, ...extra });
  expect(res.status).toBe(201);
  return res.body.session.id;
}
async function send(sessionId: string, text: string): Promise<string> {
  const res = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${sessionId}/messages`, {
    text,
  });
  expect(res.status).toBe(202);
  return res.body.turn.id;
}

describe('inbox', () => {
  it('an approval enters with its command, and leaves when answered from another client', async () => {
    const id = await session({ approvalPolicy: 'untrusted', sandbox: 'workspace-write' });
    const turnId = await send(id, 'scn:exec');
    const e = await waitEvent(
      added((i) => i.kind === 'approval' && i.sessionId === id),
      'inbox.added',
    );
    const item = (e.data as { item: Item }).item;
    expect(e.threadId).toBe(id);
    expect(item).toMatchObject({ id: `request:${item.requestId}`, actions: ['decide'] });
    expect(item.title).toMatch(/^Run: /);
    expect(item.detail).toMatchObject({ requestKind: 'commandApproval', command: expect.any(String) });
    expect(item.detail.decisions).toEqual(expect.arrayContaining(['accept', 'decline']));

    const listed = await inbox(`?sessionId=${id}`);
    expect(listed.items.map((i) => i.id)).toEqual([item.id]);
    expect(listed.counts.byKind.approval).toBe(1);
    expect(listed.counts.total).toBe(1);

    const decided = await stack.api(
      'POST',
      `/api/approvals/${item.requestId}/decision`,
      { decision: 'accept' },
      {
        'x-actor': 'alice',
        'x-client': 'cli',
      },
    );
    expect(decided.status).toBe(200);
    const gone = await waitEvent(removed(item.id), 'inbox.removed');
    expect(gone.data).toMatchObject({ kind: 'approval', reason: 'resolved', actor: 'alice', source: 'cli' });
    expect((await inbox(`?sessionId=${id}`)).items).toEqual([]);
    await stream.waitFor(
      (c) => c.events.some((x) => x.type === 'runtime.turn.completed' && x.turnId === turnId),
      60_000,
      'the approved turn to finish',
    );
  });

  it('a failed turn stays until dismissed; dismissing is idempotent and refuses what must be answered', async () => {
    const id = await session();
    const turnId = await send(id, 'scn:failed');
    const itemId = `turn:${id}:${turnId}`;
    const e = await waitEvent(
      added((i) => i.id === itemId),
      'failed turn item',
    );
    expect((e.data as { item: Item }).item).toMatchObject({ kind: 'failedTurn', actions: ['dismiss'] });
    expect((e.data as { item: Item }).item.title).toMatch(/^Turn failed: /);

    // Bad input changes nothing.
    expect((await stack.api('GET', '/api/inbox?kind=nope')).status).toBe(400);
    expect((await stack.api('GET', '/api/inbox?cursor=garbage')).status).toBe(400);
    expect((await stack.api('POST', `/api/inbox/${encodeURIComponent('turn:x:y')}/dismiss`)).status).toBe(
      404,
    );
    expect((await inbox(`?sessionId=${id}`)).items.map((i) => i.id)).toEqual([itemId]);

    const url = `/api/inbox/${encodeURIComponent(itemId)}/dismiss`;
    const first = await stack.api<{ alreadyDismissed: boolean }>('POST', url, undefined, {
      'x-actor': 'bob',
    });
    expect(first.status).toBe(200);
    expect(first.body.alreadyDismissed).toBe(false);
    const again = await stack.api<{ alreadyDismissed: boolean }>('POST', url);
    expect(again.status).toBe(200);
    expect(again.body.alreadyDismissed).toBe(true);
    const gone = await waitEvent(removed(itemId), 'inbox.removed');
    expect(gone.data).toMatchObject({ reason: 'dismissed', actor: 'bob' });
    expect((await inbox(`?sessionId=${id}`)).items).toEqual([]);

    // A question cannot be dismissed: it waits for an answer.
    const asker = await session();
    await stack.api('POST', `/api/sessions/${asker}/messages`, {
      text: 'scn:ask',
      collaborationMode: 'plan',
    });
    const q = await waitEvent(
      added((i) => i.kind === 'question' && i.sessionId === asker),
      'question item',
    );
    const question = (q.data as { item: Item }).item;
    expect(question.detail.questions).toEqual(expect.any(Array));
    const refused = await stack.api<{ error: { code: string } }>(
      'POST',
      `/api/inbox/${encodeURIComponent(question.id)}/dismiss`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');
    await stack.api('POST', `/api/sessions/${asker}/interrupt`);
    await waitEvent(removed(question.id), 'the question to leave once its turn is interrupted');
  });

  it('a tool call nobody serves enters after the grace period, and leaves when answered', async () => {
    const tool = {
      name: 'lookup_ticket',
      description: 'Looks a ticket up by id',
      inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    };
    const id = await session({ dynamicTools: [tool] });
    const turnId = await send(id, 'scn:dyn');
    const created = await waitEvent(
      (c) => c.events.find((x) => x.type === 'request.created' && x.turnId === turnId),
      'request.created',
    );
    const e = await waitEvent(
      added((i) => i.kind === 'toolCall' && i.sessionId === id),
      'tool call item',
    );
    const item = (e.data as { item: Item }).item;
    // Not before the grace period: the item comes well after the request.
    expect(e.seq).toBeGreaterThan(created.seq);
    expect(item).toMatchObject({
      title: 'Tool call: lookup_ticket',
      requestId: created.data.requestId,
      detail: { tool: 'lookup_ticket', arguments: { id: 'T-42' } },
      actions: ['respond'],
    });
    const res = await stack.api('POST', `/api/tool-calls/${item.requestId}/response`, {
      contentItems: [{ type: 'inputText', text: 'ticket T-42 is OPEN' }],
      success: true,
    });
    expect(res.status).toBe(200);
    expect((await waitEvent(removed(item.id), 'tool call leaves')).data).toMatchObject({
      reason: 'resolved',
    });
  });

  it('a failed job enters once it has no attempts left, and leaves when retried', async () => {
    const res = await stack.api<{ job: { id: string } }>('POST', '/api/jobs', {
      type: 'instruction',
      payload: { owner: 'inbox-test', agent: 'broken', instruction: 'scn:http400' },
    });
    expect(res.status).toBe(202);
    const jobId = res.body.job.id;
    const e = await waitEvent(
      added((i) => i.id === `job:${jobId}`),
      'failed job item',
    );
    expect((e.data as { item: Item }).item).toMatchObject({
      kind: 'failedJob',
      jobId,
      actions: ['retry', 'dismiss'],
    });
    // A worker session's failed turns are the job's business: no failedTurn items for them.
    expect((await inbox('?kind=failedTurn')).items.every((i) => i.sessionId !== null)).toBe(true);
    expect((await stack.api('POST', `/api/jobs/${jobId}/retry`)).status).toBe(200);
    const gone = await waitEvent(removed(`job:${jobId}`), 'retried job leaves');
    expect(gone.data).toMatchObject({ reason: 'retried' });
  });

  it('pages newest first with a cursor', async () => {
    const all = await inbox('?limit=200');
    const first = await inbox('?limit=1');
    expect(first.items).toHaveLength(Math.min(1, all.items.length));
    if (all.items.length > 1) {
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await inbox(`?limit=1&cursor=${first.nextCursor}`);
      expect(second.items[0]!.id).toBe(all.items[1]!.id);
    }
    expect(first.counts.total).toBe(all.counts.total);
  });

  it('is in the metrics, with the projector lag', async () => {
    const text = await (await fetch(`${stack.url}/api/metrics`)).text();
    expect(text).toMatch(/cm_inbox_items\{kind="failedJob"\} \d+/);
    expect(text).toMatch(/cm_event_log_lag\{consumer="inbox"\} \d+/);
  });
});

describe('usage', () => {
  it('equals the sums of the runtime usage notifications, by turn, session and day, priced', async () => {
    const id = await session();
    const turns: string[] = [];
    for (const text of ['scn:text one', 'scn:text two, a longer reply this time', 'scn:text three']) {
      const t = await send(id, text);
      turns.push(t);
      await stream.waitFor(
        (c) => c.events.some((x) => x.type === 'runtime.turn.completed' && x.turnId === t),
        60_000,
        'turn completed',
      );
    }
    const { rows: raw } = await stack.db.pool.query<{ turn_id: string; last: Record<string, number> }>(
      `SELECT turn_id, data->'params'->'tokenUsage'->'last' AS last FROM events
       WHERE type = 'runtime.thread.tokenUsage.updated' AND thread_id = $1 ORDER BY seq`,
      [id],
    );
    expect(raw.length).toBeGreaterThanOrEqual(3);
    const sums = new Map<string, Record<string, number>>();
    for (const r of raw) {
      const s = sums.get(r.turn_id) ?? {
        inputTokens: 0,
        cachedInputTokens: 0,
        outputTokens: 0,
        totalTokens: 0,
      };
      for (const k of Object.keys(s)) s[k]! += r.last[k] ?? 0;
      sums.set(r.turn_id, s);
    }

    type Usage = {
      rows: ({ key: string; turns: number; cost: number | null } & Record<string, number>)[];
      totals: Record<string, number> & { cost: number | null };
      prices: unknown;
    };
    const byTurn = (await stack.api<Usage>('GET', `/api/usage?groupBy=turn&sessionId=${id}`)).body;
    expect(byTurn.rows.map((r) => r.key).sort()).toEqual([...sums.keys()].sort());
    for (const row of byTurn.rows) {
      const s = sums.get(row.key)!;
      expect(row).toMatchObject(s);
      const expected =
        ((s.inputTokens! - s.cachedInputTokens!) * 2 + s.cachedInputTokens! * 0.5 + s.outputTokens! * 8) /
        1e6;
      expect(row.cost).toBeCloseTo(expected, 6);
    }
    const total = (k: string) => [...sums.values()].reduce((a, s) => a + s[k]!, 0);
    const bySession = (await stack.api<Usage>('GET', `/api/usage?groupBy=session&sessionId=${id}`)).body;
    expect(bySession.rows).toHaveLength(1);
    expect(bySession.rows[0]).toMatchObject({ key: id, turns: sums.size, totalTokens: total('totalTokens') });
    expect(bySession.totals.inputTokens).toBe(total('inputTokens'));
    expect(bySession.prices).toEqual(PRICES);
    const today = new Date().toISOString().slice(0, 10);
    const byDay = (await stack.api<Usage>('GET', `/api/usage?groupBy=day&sessionId=${id}`)).body;
    expect(byDay.rows.map((r) => r.key)).toEqual([today]);
    expect(byDay.rows[0]!.outputTokens).toBe(total('outputTokens'));

    // Bad input is refused.
    expect((await stack.api('GET', '/api/usage?groupBy=week')).status).toBe(400);
    expect((await stack.api('GET', '/api/usage?from=yesterday')).status).toBe(400);
    expect((await stack.api('GET', '/api/usage?from=2026-02-02&to=2026-01-01')).status).toBe(400);
  });
});
