import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope, RequestView } from '@codex-manager/core';
import { startHarness, type Harness } from './harness';
import { sendMessage, untrustedSession } from '../../../test/helpers/sessions';

// The runtime-bridge's request ledger wired as in production, with the gateway in-process, the real
// app-server and the scripted model. Every answer written to app-server is recorded, so "answered
// exactly once" is checked on the wire, not inferred.

jest.setTimeout(120_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness('request_ledger');
});
afterAll(async () => {
  await h?.stop();
});

type Params = Record<string, unknown>;
interface Decided {
  status: string;
  request: RequestView;
  error?: { code: string; details?: Params };
}

const PLAN = {
  collaborationMode: {
    mode: 'plan',
    settings: { model: 'mock-model', reasoning_effort: null, developer_instructions: null },
  },
};
const TOOL = {
  type: 'function',
  name: 'lookup_ticket',
  description: 'Looks a ticket up by id',
  inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
};

/** A turn in a system-owned session, started the way the queue-worker does: on the command bus. */
async function sendAsWorker(session: string, text: string, extra: Params = {}): Promise<string> {
  const result = await h.bus.submit<{ turn: { id: string } }>(
    'turn/start',
    { threadId: session, input: [{ type: 'text', text, text_elements: [] }], ...extra },
    { threadId: session, timeoutMs: 60_000, requestedBy: 'queue-worker' },
  );
  return result.turn.id;
}

const list = async (session: string, segment: string, status = 'pending') =>
  (await h.api<{ requests: RequestView[] }>('GET', `/api/sessions/${session}/${segment}?status=${status}`))
    .body.requests;

const pending = (session: string, segment: string) =>
  h.waitFor(`a pending request in ${segment}`, async () => (await list(session, segment))[0]);

const turnCompleted = (turnId: string) =>
  h.waitFor(`turn ${turnId} to complete`, async () => {
    const [e] = await h.events((e) => e.type === 'runtime.turn.completed' && e.turnId === turnId);
    return e ? ((e.data.params as { turn: { status: string; items: Params[] } }).turn as Params) : undefined;
  });

const ofRequest = (id: string, type?: string) => (e: EventEnvelope) =>
  e.data.requestId === id && (type === undefined || e.type === type);

const decide = (id: string, body: Params, actor = 'alice') =>
  h.api<Decided>('POST', `/api/approvals/${id}/decision`, body, { 'x-actor': actor, 'x-client': 'test' });

describe('the request ledger', () => {
  it('of 20 concurrent decisions exactly one wins and the runtime is answered once', async () => {
    const { id: session, cwd } = await untrustedSession(h);
    const turnId = await sendMessage(h, session, 'scn:exec');
    const req = await pending(session, 'approvals');
    expect(req).toMatchObject({
      kind: 'commandApproval',
      status: 'pending',
      turnId,
      itemId: expect.any(String),
      decisions: ['accept', 'acceptWithExecpolicyAmendment', 'decline', 'cancel'],
      params: { command: "/bin/bash -c 'echo hi > out.txt'" },
    });
    // Stored (with its event) before anyone answered.
    expect(await h.events(ofRequest(req.id, 'request.created'))).toHaveLength(1);
    const answeredBefore = h.answers.length;

    const wanted = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'accept' : 'decline'));
    const results = await Promise.all(wanted.map((decision, i) => decide(req.id, { decision }, `user${i}`)));

    const winners = results.flatMap((r, i) => (r.status === 200 && r.body.status === 'resolved' ? [i] : []));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    const won = wanted[winner]!;
    results.forEach((r, i) => {
      if (i === winner) return;
      if (wanted[i] === won) expect(r).toMatchObject({ status: 200, body: { status: 'already_resolved' } });
      else
        expect(r).toMatchObject({
          status: 409,
          body: { error: { code: 'conflict', details: { decision: won } } },
        });
    });
    expect(results[winner]!.body.request).toMatchObject({
      status: 'resolved',
      decision: won,
      resolvedBy: { actor: `user${winner}`, source: 'test' },
      answeredAt: expect.any(String),
    });

    const turn = await turnCompleted(turnId);
    expect(turn.status).toBe('completed');
    expect(h.answers.slice(answeredBefore)).toEqual([
      { pid: h.supervisor.status.pid, id: expect.anything(), result: { decision: won } },
    ]);
    expect(await h.events(ofRequest(req.id, 'request.resolved'))).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          decision: won,
          resolvedBy: { actor: `user${winner}`, source: 'test' },
        }),
      }),
    ]);
    const commands = await h.db.pool.query(
      `SELECT status FROM runtime_commands WHERE method = 'serverRequest/respond' AND params->>'requestId' = $1`,
      [req.id],
    );
    expect(commands.rows).toEqual([{ status: 'succeeded' }]);
    expect(existsSync(path.join(cwd, 'out.txt'))).toBe(won === 'accept');
    expect(await list(session, 'approvals')).toEqual([]);
  });

  it('a system-owned session never waits: its policy decides, recorded with actor "policy"', async () => {
    const { id: session, cwd } = await untrustedSession(h, { dynamicTools: [TOOL] });
    await h.db.pool.query(`UPDATE sessions SET system_owned = true, request_policy = $2 WHERE id = $1`, [
      session,
      JSON.stringify({ commandApproval: 'accept', toolCall: { success: true, text: 'T-42 is CLOSED' } }),
    ]);
    const exec = await sendAsWorker(session, 'scn:exec');
    expect((await turnCompleted(exec)).status).toBe('completed');
    expect(existsSync(path.join(cwd, 'out.txt'))).toBe(true);

    const ask = await sendAsWorker(session, 'scn:ask', PLAN);
    const askTurn = await turnCompleted(ask);
    expect(JSON.stringify(askTurn.items)).toContain(
      'Tool said: {\\"answers\\":{\\"color\\":{\\"answers\\":[\\"Red (Recommended)\\"]}}}',
    );

    const dyn = await sendAsWorker(session, 'scn:dyn');
    expect(JSON.stringify((await turnCompleted(dyn)).items)).toContain('Tool said: T-42 is CLOSED');

    const all = [
      ...(await list(session, 'approvals', 'all')),
      ...(await list(session, 'tool-input', 'all')),
      ...(await list(session, 'tool-calls', 'all')),
    ];
    expect(all.map((r) => [r.kind, r.status, r.decision, r.resolvedBy])).toEqual([
      ['commandApproval', 'resolved', 'accept', { actor: 'policy', source: 'runtime-bridge' }],
      ['userInput', 'resolved', 'answer', { actor: 'policy', source: 'runtime-bridge' }],
      ['toolCall', 'resolved', 'respond', { actor: 'policy', source: 'runtime-bridge' }],
    ]);
    for (const r of all) {
      const types = (await h.events(ofRequest(r.id))).map((e) => e.type);
      expect(types).toEqual(['request.created', 'request.resolved']);
    }
  });

  it('a system-owned session without a stored policy declines approvals by default', async () => {
    const { id: session, cwd } = await untrustedSession(h);
    await h.db.pool.query('UPDATE sessions SET system_owned = true WHERE id = $1', [session]);
    const turnId = await sendAsWorker(session, 'scn:exec');
    expect((await turnCompleted(turnId)).status).toBe('completed');
    expect(existsSync(path.join(cwd, 'out.txt'))).toBe(false);
    expect(await list(session, 'approvals', 'all')).toEqual([
      expect.objectContaining({
        decision: 'decline',
        resolvedBy: { actor: 'policy', source: 'runtime-bridge' },
      }),
    ]);
  });

  it('interrupting a turn that waits resolves its request as cancelled; a late accept is a conflict', async () => {
    const { id: session } = await untrustedSession(h, { dynamicTools: [TOOL] });
    const answeredBefore = h.answers.length;

    const execTurn = await sendMessage(h, session, 'scn:exec');
    const approval = await pending(session, 'approvals');
    await h.supervisor.client!.request('turn/interrupt', { threadId: session, turnId: execTurn });
    expect((await turnCompleted(execTurn)).status).toBe('interrupted');
    const cancelled = await h.waitFor('the approval to be withdrawn', async () => {
      const [r] = await list(session, 'approvals', 'resolved');
      return r;
    });
    expect(cancelled).toMatchObject({
      decision: 'cancel',
      resolvedBy: { actor: 'runtime', source: 'runtime-bridge' },
      answeredAt: null,
    });
    expect((await decide(approval.id, { decision: 'accept' })).status).toBe(409);
    expect(await decide(approval.id, { decision: 'cancel' })).toMatchObject({
      status: 200,
      body: { status: 'already_resolved' },
    });

    // A dynamic tool call gets no serverRequest/resolved: the end of its turn withdraws it.
    const dynTurn = await sendMessage(h, session, 'scn:dyn');
    const call = await pending(session, 'tool-calls');
    await h.supervisor.client!.request('turn/interrupt', { threadId: session, turnId: dynTurn });
    expect((await turnCompleted(dynTurn)).status).toBe('interrupted');
    const withdrawn = await h.waitFor('the tool call to be withdrawn', async () => {
      const [e] = await h.events(ofRequest(call.id, 'request.resolved'));
      return e;
    });
    expect(withdrawn.data).toMatchObject({ decision: 'cancel', reason: 'the turn ended (interrupted)' });
    const late = await h.api<Decided>('POST', `/api/tool-calls/${call.id}/response`, {
      contentItems: [{ type: 'inputText', text: 'too late' }],
    });
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    expect(h.answers.slice(answeredBefore)).toEqual([]);
  });

  it('a decision whose command never came is delivered by the sweeper, once', async () => {
    const { id: session, cwd } = await untrustedSession(h);
    const turnId = await sendMessage(h, session, 'scn:exec');
    const req = await pending(session, 'approvals');
    const answeredBefore = h.answers.length;
    // What a gateway that died right after its UPDATE leaves behind.
    await h.db.pool.query(
      `UPDATE server_requests SET status = 'resolved', decision = 'accept', response = '{"decision":"accept"}',
         resolved_actor = 'bob', resolved_source = 'web', resolved_at = now() WHERE id = $1`,
      [req.id],
    );
    expect((await turnCompleted(turnId)).status).toBe('completed');
    expect(existsSync(path.join(cwd, 'out.txt'))).toBe(true);
    expect(h.answers.slice(answeredBefore)).toEqual([
      expect.objectContaining({ result: { decision: 'accept' } }),
    ]);
    // A client that retries finds it done and writes nothing more.
    const retry = await h.api<Decided>('POST', `/api/approvals/${req.id}/decision`, { decision: 'decline' });
    expect(retry.status).toBe(409);
    expect(h.answers.slice(answeredBefore)).toHaveLength(1);
  });

  it('never writes a decision to a process other than the one that asked', async () => {
    const id = randomUUID();
    await h.db.pool.query(
      `INSERT INTO server_requests (id, kind, method, session_id, params, runtime_generation, rpc_id, status,
         decision, response, resolved_actor, resolved_source, resolved_at)
       VALUES ($1, 'fileChangeApproval', 'item/fileChange/requestApproval', 'thread-x', '{}', 'a-dead-process', '0',
         'resolved', 'accept', '{"decision":"accept"}', 'carol', 'cli', now())`,
      [id],
    );
    const answeredBefore = h.answers.length;
    await expect(h.ledger.deliver(h.supervisor.client!, id)).rejects.toMatchObject({ code: 'gone' });
    const { rows } = await h.db.pool.query(
      'SELECT status, expired_reason FROM server_requests WHERE id = $1',
      [id],
    );
    expect(rows[0]).toEqual({
      status: 'expired',
      expired_reason: 'the runtime process that asked has exited',
    });
    expect(await h.events(ofRequest(id, 'request.expired'))).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ undeliveredDecision: 'accept' }) }),
    ]);
    expect(h.answers.slice(answeredBefore)).toEqual([]);
  });

  it('when app-server dies its pending requests expire (410), the turn is interrupted, nothing is written', async () => {
    const { id: session } = await untrustedSession(h);
    const turnId = await sendMessage(h, session, 'scn:exec');
    const req = await pending(session, 'approvals');
    const answeredBefore = h.answers.length;
    const pid = h.supervisor.status.pid!;
    process.kill(pid, 'SIGKILL');

    const expired = await h.waitFor(
      'request.expired',
      async () => (await h.events(ofRequest(req.id, 'request.expired')))[0],
    );
    expect(expired.data).toMatchObject({
      signal: 'SIGKILL',
      reason: 'the runtime exited before the request was answered',
    });
    await h.waitFor(
      'turn.interrupted',
      async () => (await h.events((e) => e.type === 'turn.interrupted' && e.turnId === turnId))[0],
    );
    const res = await decide(req.id, { decision: 'accept' });
    expect(res).toMatchObject({
      status: 410,
      body: { error: { code: 'gone', details: { requestId: req.id } } },
    });
    expect(await list(session, 'approvals')).toEqual([]);
    expect(await list(session, 'approvals', 'expired')).toEqual([
      expect.objectContaining({ id: req.id, status: 'expired' }),
    ]);

    // The new process asks again on its own ids; the old row stays expired.
    await h.waitFor('a new app-server', async () => h.supervisor.client && h.supervisor.status.pid !== pid);
    const again = await sendMessage(h, session, 'scn:exec');
    const fresh = await pending(session, 'approvals');
    expect(fresh.id).not.toBe(req.id);
    expect((await decide(fresh.id, { decision: 'decline' })).body.status).toBe('resolved');
    expect((await turnCompleted(again)).status).toBe('completed');
    expect(h.answers.slice(answeredBefore)).toEqual([
      expect.objectContaining({ result: { decision: 'decline' } }),
    ]);
  });
});
