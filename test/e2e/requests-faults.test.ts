import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RequestView } from '../../services/core/src';
import { startStack, type Stack } from '../helpers/stack';

// Faults around pending requests: a restarted gateway loses nothing; a dead runtime (or bridge)
// takes its requests with it, which then expire with an event instead of waiting forever.

jest.setTimeout(180_000);

let stack: Stack;
/** The gateway's URL; a restarted gateway listens on a new port (the stack runs with --port 0). */
let url: string;
beforeAll(async () => {
  stack = await startStack('requests_faults');
  url = stack.url;
});
afterAll(async () => {
  await stack?.stop();
});

interface Decided {
  status: string;
  request: RequestView;
  error?: { code: string; details?: Record<string, unknown> };
}
interface Health {
  runtime: { pid: number };
  services: Record<string, { instances: { pid: number; up: boolean }[] }>;
}

async function api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url + route, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const query = async <R>(sql: string, values: unknown[] = []) =>
  (await stack.db.pool.query(sql, values)).rows as R[];

let dirs = 0;
async function waitingApproval(): Promise<{
  session: string;
  cwd: string;
  turnId: string;
  requestId: string;
}> {
  const cwd = path.join(stack.dataDir, `ws-${++dirs}`);
  mkdirSync(cwd, { recursive: true });
  const created = await api<{ session: { id: string } }>('POST', '/api/sessions', {
    cwd,
    approvalPolicy: 'untrusted',
    sandbox: 'workspace-write',
  });
  const session = created.body.session.id;
  const sent = await api<{ turn: { id: string } }>('POST', `/api/sessions/${session}/messages`, {
    text: 'scn:exec',
  });
  expect(sent.status).toBe(202);
  const requestId = await until('a pending approval', async () => {
    const [r] = (await api<{ requests: RequestView[] }>('GET', `/api/sessions/${session}/approvals`)).body
      .requests;
    return r?.id;
  });
  return { session, cwd, turnId: sent.body.turn.id, requestId };
}

const eventsOf = (type: string, requestId: string) =>
  query<{ data: Record<string, unknown>; turn_id: string }>(
    `SELECT data, turn_id FROM events WHERE type = $1 AND data->>'requestId' = $2 ORDER BY seq`,
    [type, requestId],
  );

const turnStatus = async (turnId: string) =>
  (await query<{ status: string }>('SELECT status FROM turns WHERE id = $1', [turnId]))[0]?.status;

async function expectExpired(requestId: string, turnId: string, reason: string): Promise<void> {
  const expired = await until(
    'request.expired',
    async () => (await eventsOf('request.expired', requestId))[0],
  );
  expect(expired.data).toMatchObject({ requestId, kind: 'commandApproval', reason });
  await until('the turn to be interrupted', async () => (await turnStatus(turnId)) === 'interrupted');
  const late = await api<Decided>('POST', `/api/approvals/${requestId}/decision`, { decision: 'accept' });
  expect(late).toMatchObject({ status: 410, body: { error: { code: 'gone', details: { requestId } } } });
  const { body } = await api<{ request: RequestView }>('GET', `/api/approvals/${requestId}`);
  expect(body.request).toMatchObject({ status: 'expired', expiredReason: reason, answeredAt: null });
}

const health = async () => (await api<Health>('GET', '/api/health')).body;

describe('pending requests across faults', () => {
  it('a gateway restart loses nothing: the pending approval is still listed and answerable', async () => {
    const { session, cwd, turnId, requestId } = await waitingApproval();
    const oldPid = (await health()).services.gateway!.instances[0]!.pid;
    process.kill(oldPid, 'SIGKILL');
    url = await until('a new gateway', async () => {
      const [r] = await query<{ url: string }>(
        `SELECT details->>'url' AS url FROM service_heartbeats
         WHERE service = 'gateway' AND pid <> $1 AND status = 'running' AND details ? 'url'`,
        [oldPid],
      );
      return r?.url;
    });
    expect(url).not.toBe(stack.url);

    const listed = await api<{ requests: RequestView[] }>('GET', `/api/sessions/${session}/approvals`);
    expect(listed.body.requests).toEqual([expect.objectContaining({ id: requestId, status: 'pending' })]);
    const res = await api<Decided>('POST', `/api/approvals/${requestId}/decision`, { decision: 'accept' });
    expect(res).toMatchObject({
      status: 200,
      body: { status: 'resolved', request: { answeredAt: expect.any(String) } },
    });
    await until('the turn to complete', async () => (await turnStatus(turnId)) === 'completed');
    expect(readFileSync(path.join(cwd, 'out.txt'), 'utf8')).toBe('hi\n');
  });

  it('kill -9 of app-server: its pending request expires with an event (410), the turn is interrupted', async () => {
    const { session, cwd, turnId, requestId } = await waitingApproval();
    const before = await health();
    process.kill(before.runtime.pid, 'SIGKILL');
    await expectExpired(requestId, turnId, 'the runtime exited before the request was answered');
    const [expired] = await eventsOf('request.expired', requestId);
    expect(expired!.data).toMatchObject({ signal: 'SIGKILL' });
    expect(existsSync(path.join(cwd, 'out.txt'))).toBe(false);

    // The session goes on with the new runtime process: a new request, answered normally.
    const sent = await api<{ turn: { id: string } }>('POST', `/api/sessions/${session}/messages`, {
      text: 'scn:exec',
    });
    expect(sent.status).toBe(202);
    const fresh = await until('a new pending approval', async () => {
      const [r] = (await api<{ requests: RequestView[] }>('GET', `/api/sessions/${session}/approvals`)).body
        .requests;
      return r;
    });
    expect(fresh.id).not.toBe(requestId);
    expect(
      (await api<Decided>('POST', `/api/approvals/${fresh.id}/decision`, { decision: 'accept' })).body.status,
    ).toBe('resolved');
    await until(
      'the new turn to complete',
      async () => (await turnStatus(sent.body.turn.id)) === 'completed',
    );
    expect(existsSync(path.join(cwd, 'out.txt'))).toBe(true);
  });

  it('kill -9 of the runtime-bridge: a decision sent meanwhile is 410, the request expires, nothing runs', async () => {
    const { cwd, turnId, requestId } = await waitingApproval();
    const bridgePid = (await health()).services['runtime-bridge']!.instances[0]!.pid;
    process.kill(bridgePid, 'SIGKILL');
    // Sent while no bridge runs: taken in the database, it can no longer reach the runtime that asked.
    const meanwhile = await api<Decided>('POST', `/api/approvals/${requestId}/decision`, {
      decision: 'accept',
    });
    expect(meanwhile).toMatchObject({ status: 410, body: { error: { code: 'gone' } } });
    const reason = 'the runtime-bridge restarted before the request was answered';
    await expectExpired(requestId, turnId, reason);
    expect(existsSync(path.join(cwd, 'out.txt'))).toBe(false);
  });
});
