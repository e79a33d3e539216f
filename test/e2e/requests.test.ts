import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EventEnvelope, RequestView } from '../../services/core/src';
import { sendMessage, untrustedSession } from '../helpers/sessions';
import { SseClient } from '../helpers/sse';
import { startStack, type Stack } from '../helpers/stack';

// Approvals, questions and dynamic tool calls through the public API of the whole stack (`npm start
// -- --demo`): the real runtime asks, a client decides over REST, the effect is observed.

jest.setTimeout(180_000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('requests');
});
afterAll(async () => {
  await stack?.stop();
});

type Params = Record<string, unknown>;
interface Decided {
  status: string;
  request: RequestView;
  error?: { code: string; message: string; details?: Params };
}

const PLAN = { collaborationMode: 'plan' };
const WHO = { 'x-actor': 'alice', 'x-client': 'e2e' };

async function newSession(extra: Params = {}): Promise<{ id: string; cwd: string; stream: SseClient }> {
  const { id, cwd } = await untrustedSession(stack, extra);
  return { id, cwd, stream: new SseClient(`${stack.url}/api/stream?threads=${id}&after=0`) };
}

const send = (session: string, text: string, extra: Params = {}) => sendMessage(stack, session, text, extra);

/** The `request.created` event of the turn, once it has streamed. */
async function requestOf(stream: SseClient, turnId: string): Promise<EventEnvelope> {
  const find = (c: SseClient) => c.events.find((e) => e.type === 'request.created' && e.turnId === turnId);
  await stream.waitFor((c) => find(c) !== undefined, 30_000, 'request.created');
  return find(stream)!;
}

async function turnEnd(stream: SseClient, turnId: string): Promise<{ status: string; items: Params[] }> {
  const find = (c: SseClient) =>
    c.events.find((e) => e.type === 'runtime.turn.completed' && e.turnId === turnId);
  await stream.waitFor((c) => find(c) !== undefined, 30_000, 'turn/completed');
  return (find(stream)!.data.params as { turn: { status: string; items: Params[] } }).turn;
}

const itemsOf = (stream: SseClient, turnId: string, method: string, type: string) =>
  stream.events
    .filter((e) => e.turnId === turnId && e.type === `runtime.${method.replace(/\//g, '.')}`)
    .map((e) => (e.data.params as { item: Params }).item)
    .filter((i) => i.type === type);

const lastMessage = (turn: { items: Params[] }) =>
  turn.items.filter((i) => i.type === 'agentMessage').pop()?.text as string | undefined;

const listed = async (session: string, segment: string, status = 'pending') =>
  (
    await stack.api<{ requests: RequestView[] }>(
      'GET',
      `/api/sessions/${session}/${segment}?status=${status}`,
    )
  ).body.requests;

describe('interactive requests end to end', () => {
  it('command approval accepted: listed while pending, the command runs, who decided is recorded', async () => {
    const { id, cwd, stream } = await newSession();
    try {
      const turnId = await send(id, 'scn:exec');
      const created = await requestOf(stream, turnId);
      const requestId = created.data.requestId as string;
      expect(created.data).toMatchObject({
        kind: 'commandApproval',
        decisions: ['accept', 'acceptWithExecpolicyAmendment', 'decline', 'cancel'],
      });
      expect(await listed(id, 'approvals')).toEqual([
        expect.objectContaining({ id: requestId, status: 'pending', turnId, itemId: created.itemId }),
      ]);
      expect((await stack.api('GET', `/api/approvals/${requestId}`)).status).toBe(200);

      const res = await stack.api<Decided>(
        'POST',
        `/api/approvals/${requestId}/decision`,
        { decision: 'accept' },
        WHO,
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'resolved',
        request: { status: 'resolved', decision: 'accept', resolvedBy: { actor: 'alice', source: 'e2e' } },
      });
      const turn = await turnEnd(stream, turnId);
      expect(turn.status).toBe('completed');
      expect(readFileSync(path.join(cwd, 'out.txt'), 'utf8')).toBe('hi\n');
      expect(itemsOf(stream, turnId, 'item/completed', 'commandExecution')).toEqual([
        expect.objectContaining({ status: 'completed', exitCode: 0 }),
      ]);
      const resolved = stream.events.filter((e) => e.type === 'request.resolved');
      expect(resolved).toEqual([
        expect.objectContaining({
          threadId: id,
          turnId,
          data: expect.objectContaining({
            requestId,
            decision: 'accept',
            resolvedBy: { actor: 'alice', source: 'e2e' },
          }),
        }),
      ]);
      // The decision event precedes the runtime's consequences of it.
      const at = (pred: (e: EventEnvelope) => boolean) => stream.events.findIndex(pred);
      expect(at((e) => e === resolved[0])).toBeLessThan(
        at((e) => e.type === 'runtime.serverRequest.resolved'),
      );
      expect(await listed(id, 'approvals')).toEqual([]);
    } finally {
      await stream.close();
    }
  });

  it('command approval declined: nothing runs, the model is told, the turn completes', async () => {
    const { id, cwd, stream } = await newSession();
    try {
      const turnId = await send(id, 'scn:exec');
      const requestId = (await requestOf(stream, turnId)).data.requestId as string;
      const res = await stack.api<Decided>('POST', `/api/approvals/${requestId}/decision`, {
        decision: 'decline',
      });
      expect(res.body.status).toBe('resolved');
      const turn = await turnEnd(stream, turnId);
      expect(turn.status).toBe('completed');
      expect(existsSync(path.join(cwd, 'out.txt'))).toBe(false);
      expect(itemsOf(stream, turnId, 'item/completed', 'commandExecution')).toEqual([
        expect.objectContaining({ status: 'declined' }),
      ]);
      expect(lastMessage(turn)).toContain('rejected by user');
    } finally {
      await stream.close();
    }
  });

  it('file change accepted: the patch is applied and its diff is streamed', async () => {
    const { id, cwd, stream } = await newSession({ sandbox: 'read-only' });
    try {
      const turnId = await send(id, 'scn:patch');
      const created = await requestOf(stream, turnId);
      expect(created.data).toMatchObject({
        kind: 'fileChangeApproval',
        decisions: ['accept', 'acceptForSession', 'decline', 'cancel'],
      });
      const res = await stack.api<Decided>(
        'POST',
        `/api/approvals/${created.data.requestId as string}/decision`,
        {
          decision: 'accept',
        },
      );
      expect(res.body.status).toBe('resolved');
      const turn = await turnEnd(stream, turnId);
      expect(turn.status).toBe('completed');
      expect(readFileSync(path.join(cwd, 'patched.txt'), 'utf8')).toBe('patched by the scripted model\n');
      const diffs = stream.events.filter(
        (e) => e.type === 'runtime.turn.diff.updated' && e.turnId === turnId,
      );
      expect(diffs.length).toBeGreaterThan(0);
      expect((diffs.at(-1)!.data.params as { diff: string }).diff).toContain(
        '+patched by the scripted model',
      );
      expect(lastMessage(turn)).toContain('Success. Updated the following files:\nA patched.txt');
    } finally {
      await stream.close();
    }
  });

  it('a user-input question answered by question id; the answer reaches the model', async () => {
    const { id, stream } = await newSession();
    try {
      const turnId = await send(id, 'scn:ask', PLAN);
      const created = await requestOf(stream, turnId);
      expect(created.data).toMatchObject({
        kind: 'userInput',
        params: { questions: [expect.objectContaining({ id: 'color', options: expect.any(Array) })] },
      });
      const requestId = created.data.requestId as string;
      expect(await listed(id, 'tool-input')).toEqual([expect.objectContaining({ id: requestId })]);
      const decideUrl = `/api/tool-input/${requestId}/decision`;
      const unknown = await stack.api<Decided>('POST', decideUrl, { answers: { size: ['L'] } });
      expect(unknown).toMatchObject({
        status: 400,
        body: { error: { details: { unknownQuestions: ['size'] } } },
      });
      const missing = await stack.api<Decided>('POST', decideUrl, { answers: {} });
      expect(missing).toMatchObject({
        status: 400,
        body: { error: { details: { missingAnswers: ['color'] } } },
      });
      // One answer may be given as a plain string.
      const res = await stack.api<Decided>('POST', decideUrl, { answers: { color: 'Blue' } }, WHO);
      expect(res.body).toMatchObject({
        status: 'resolved',
        request: { decision: 'answer', response: { answers: { color: { answers: ['Blue'] } } } },
      });
      const turn = await turnEnd(stream, turnId);
      expect(lastMessage(turn)).toBe('Tool said: {"answers":{"color":{"answers":["Blue"]}}}');
      const repeat = await stack.api<Decided>('POST', decideUrl, { answers: { color: ['Blue'] } });
      expect(repeat.body.status).toBe('already_resolved');
    } finally {
      await stream.close();
    }
  });

  it('a dynamic tool call answered with content that reaches the model', async () => {
    const tool = {
      name: 'lookup_ticket',
      description: 'Looks a ticket up by id',
      inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    };
    const { id, stream } = await newSession({ dynamicTools: [tool] });
    try {
      const turnId = await send(id, 'scn:dyn');
      const created = await requestOf(stream, turnId);
      expect(created.data).toMatchObject({
        kind: 'toolCall',
        params: { tool: 'lookup_ticket', arguments: { id: 'T-42' } },
      });
      const requestId = created.data.requestId as string;
      expect(await listed(id, 'tool-calls')).toEqual([expect.objectContaining({ id: requestId })]);
      const res = await stack.api<Decided>('POST', `/api/tool-calls/${requestId}/response`, {
        contentItems: [{ type: 'inputText', text: 'ticket T-42 is OPEN' }],
        success: true,
      });
      expect(res.body).toMatchObject({ status: 'resolved', request: { decision: 'respond' } });
      const turn = await turnEnd(stream, turnId);
      expect(itemsOf(stream, turnId, 'item/completed', 'dynamicToolCall')).toEqual([
        expect.objectContaining({ status: 'completed', success: true }),
      ]);
      expect(lastMessage(turn)).toBe('Tool said: ticket T-42 is OPEN');
    } finally {
      await stream.close();
    }
  });

  it('repeats are 200 already_resolved, conflicts 409, unknown ids 404, bad input 400 changing nothing', async () => {
    const { id, stream } = await newSession();
    try {
      const turnId = await send(id, 'scn:exec');
      const requestId = (await requestOf(stream, turnId)).data.requestId as string;
      const url = `/api/approvals/${requestId}/decision`;
      const snapshot = async () =>
        (
          await stack.db.pool.query(
            `SELECT (SELECT row_to_json(r)::text FROM server_requests r WHERE id = $1) AS row,
                    (SELECT seq FROM event_head) AS head, (SELECT count(*) FROM runtime_commands)::int AS commands`,
            [requestId],
          )
        ).rows[0] as { row: string; head: number; commands: number };

      const before = await snapshot();
      const bad = [
        await stack.api<Decided>('POST', url, { decision: 'maybe' }),
        await stack.api<Decided>('POST', url, {}),
        await stack.api<Decided>('POST', url, { decision: 'accept', extra: 1 }),
        await stack.api<Decided>('POST', url, '{"decision": '),
        // Not offered by the runtime for this command.
        await stack.api<Decided>('POST', url, { decision: 'acceptForSession' }),
        await stack.api<Decided>('POST', url, {
          decision: 'accept',
          networkPolicyAmendment: { host: 'example.com', action: 'allow' },
        }),
        // An approval is not a tool call, nor a question.
        await stack.api<Decided>('POST', `/api/tool-calls/${requestId}/response`, { contentItems: [] }),
      ];
      expect(bad.map((r) => [r.status, r.body.error?.code])).toEqual([
        [400, 'invalid_request'],
        [400, 'invalid_request'],
        [400, 'invalid_request'],
        [400, 'invalid_json'],
        [400, 'invalid_request'],
        [400, 'invalid_request'],
        [404, 'not_found'],
      ]);
      expect(bad[4]!.body.error!.details).toMatchObject({
        offered: ['accept', 'acceptWithExecpolicyAmendment', 'decline', 'cancel'],
      });
      for (const unknown of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid'])
        expect(
          (await stack.api<Decided>('POST', `/api/approvals/${unknown}/decision`, { decision: 'accept' }))
            .status,
        ).toBe(404);
      expect((await stack.api('GET', '/api/sessions/nope/approvals')).status).toBe(404);
      expect(await snapshot()).toEqual(before);

      const first = await stack.api<Decided>('POST', url, { decision: 'accept' }, WHO);
      expect(first.body).toMatchObject({ status: 'resolved', request: { decision: 'accept' } });
      const repeat = await stack.api<Decided>('POST', url, { decision: 'accept' }, { 'x-actor': 'bob' });
      expect(repeat).toMatchObject({
        status: 200,
        body: { status: 'already_resolved', request: { resolvedBy: { actor: 'alice', source: 'e2e' } } },
      });
      const conflict = await stack.api<Decided>('POST', url, { decision: 'decline' });
      expect(conflict).toMatchObject({
        status: 409,
        body: {
          error: {
            code: 'conflict',
            details: { decision: 'accept', resolvedBy: { actor: 'alice' } },
          },
        },
      });
      expect((await turnEnd(stream, turnId)).status).toBe('completed');
      expect(stream.events.filter((e) => e.type === 'request.resolved')).toHaveLength(1);
    } finally {
      await stream.close();
    }
  });

  it('20 concurrent decisions: exactly one wins and the runtime is answered once', async () => {
    const { id, stream } = await newSession();
    try {
      const turnId = await send(id, 'scn:exec');
      const created = await requestOf(stream, turnId);
      const requestId = created.data.requestId as string;
      const wanted = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'accept' : 'decline'));
      const results = await Promise.all(
        wanted.map((decision, i) =>
          stack.api<Decided>(
            'POST',
            `/api/approvals/${requestId}/decision`,
            { decision },
            { 'x-actor': `user${i}` },
          ),
        ),
      );
      const winners = results.filter((r) => r.status === 200 && r.body.status === 'resolved');
      expect(winners).toHaveLength(1);
      const won = winners[0]!.body.request.decision!;
      for (const [i, r] of results.entries()) {
        if (r === winners[0]) continue;
        expect([r.status, r.body.status ?? r.body.error?.code]).toEqual(
          wanted[i] === won ? [200, 'already_resolved'] : [409, 'conflict'],
        );
      }
      expect((await turnEnd(stream, turnId)).status).toBe('completed');
      // One decision event, one command carrying it, one answer taken by the runtime.
      expect(stream.events.filter((e) => e.type === 'request.resolved')).toHaveLength(1);
      const { rows } = await stack.db.pool.query(
        `SELECT status, result FROM runtime_commands WHERE method = 'serverRequest/respond' AND params->>'requestId' = $1`,
        [requestId],
      );
      expect(rows).toEqual([{ status: 'succeeded', result: expect.objectContaining({ delivered: true }) }]);
      expect(stream.events.filter((e) => e.type === 'runtime.serverRequest.resolved')).toHaveLength(1);
      expect(itemsOf(stream, turnId, 'item/completed', 'commandExecution')).toEqual([
        expect.objectContaining({ status: won === 'accept' ? 'completed' : 'declined' }),
      ]);
    } finally {
      await stream.close();
    }
  });
  // Last: the amendment is stored in CODEX_HOME and stops every later identical command from asking.
  it('acceptWithExecpolicyAmendment sends the runtime its own proposal; the same command no longer asks', async () => {
    const { id, cwd, stream } = await newSession();
    try {
      const turnId = await send(id, 'scn:exec');
      const requestId = (await requestOf(stream, turnId)).data.requestId as string;
      const res = await stack.api<Decided>('POST', `/api/approvals/${requestId}/decision`, {
        decision: 'acceptWithExecpolicyAmendment',
      });
      expect(res.body.request.response).toEqual({
        decision: {
          acceptWithExecpolicyAmendment: { execpolicy_amendment: ['/bin/bash', '-c', 'echo hi > out.txt'] },
        },
      });
      expect((await turnEnd(stream, turnId)).status).toBe('completed');
      expect(existsSync(path.join(cwd, 'out.txt'))).toBe(true);
    } finally {
      await stream.close();
    }
    const next = await newSession();
    try {
      const turnId = await send(next.id, 'scn:exec');
      expect((await turnEnd(next.stream, turnId)).status).toBe('completed');
      expect(readFileSync(path.join(next.cwd, 'out.txt'), 'utf8')).toBe('hi\n');
      expect(next.stream.events.filter((e) => e.type.startsWith('request.'))).toEqual([]);
    } finally {
      await next.stream.close();
    }
  });
});
