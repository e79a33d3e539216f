import type { EventEnvelope } from '../../services/core/src';
import { SseClient } from '../helpers/sse';
import { startStack, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('first_turn');
});
afterAll(async () => {
  await stack?.stop();
});

interface Health {
  status: string;
  runtime: { state: string; version: string; pid: number };
  auth: Record<string, boolean>;
  services: Record<string, { up: boolean; instances: { pid: number }[] }>;
  eventLog: { head: number };
}
interface Session {
  session: { id: string; status: string; cwd: string };
}
interface Turn {
  sessionId: string;
  turn: { id: string; status: string };
}
interface SessionDetail {
  turns: { id: string; status: string; error: { message?: string } | null }[];
}

const ofTurn = (turnId: string) => (c: SseClient) => c.events.filter((e) => e.turnId === turnId);
const completedOf = (events: EventEnvelope[]) => events.find((e) => e.type === 'runtime.turn.completed');

async function newSession(): Promise<string> {
  const res = await stack.api<Session>('POST', '/api/sessions', {});
  expect(res.status).toBe(201);
  return res.body.session.id;
}

describe('the first real turn, end to end', () => {
  it('reports ready health with every service, the runtime version and auth readiness', async () => {
    // Health is live (heartbeats): on a loaded machine one may be late for a moment, so this waits
    // for a ready answer instead of taking the first one.
    let res = await stack.api<Health>('GET', '/api/health');
    for (let i = 0; i < 60 && res.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 500));
      res = await stack.api<Health>('GET', '/api/health');
    }
    const { status, body } = res;
    expect({ status, body }).toMatchObject({ status: 200 });
    expect(body.status).toBe('ready');
    expect(body.runtime).toMatchObject({ state: 'ready', version: '0.169.0' });
    for (const s of ['gateway', 'runtime-bridge', 'queue-worker', 'extension-host'])
      expect(body.services[s]?.up).toBe(true);
    // Demo mode: the scripted provider needs no OpenAI credentials.
    expect(body.auth).toMatchObject({
      likelyUnauthenticated: false,
      hasOpenAiApiKey: expect.any(Boolean),
      codexHomeAuthFile: false,
    });
  });

  it('streams a reply over SSE: deltas in order, the turn completes, events carry the request trace', async () => {
    const id = await newSession();
    const stream = new SseClient(`${stack.url}/api/stream?threads=${id}&after=0`);
    try {
      const res = await fetch(`${stack.url}/api/sessions/${id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'scn:text please say hello' }),
      });
      expect(res.status).toBe(202);
      const traceId = res.headers.get('x-trace-id');
      const { turn } = (await res.json()) as Turn;
      await stream.waitFor((c) => completedOf(ofTurn(turn.id)(c)) !== undefined, 30_000, 'turn/completed');
      const events = ofTurn(turn.id)(stream);
      const seqs = stream.events.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      const deltas = events.filter((e) => e.type === 'runtime.item.agentMessage.delta');
      // Deltas arriving within one batch window are coalesced: count the notifications they carry.
      const notified = deltas.reduce((n, e) => n + ((e.data.coalesced as number | undefined) ?? 1), 0);
      expect(notified).toBeGreaterThan(1);
      const text = deltas.map((e) => (e.data.params as { delta: string }).delta).join('');
      const message = events.find(
        (e) =>
          e.type === 'runtime.item.completed' &&
          (e.data.params as { item: { type: string } }).item.type === 'agentMessage',
      );
      expect(text).toBe((message!.data.params as { item: { text: string } }).item.text);
      expect(text).toBe('Hello from the scripted model.');
      expect((completedOf(events)!.data.params as { turn: { status: string } }).turn.status).toBe(
        'completed',
      );
      // One trace from the HTTP request to the runtime's events.
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(events.filter((e) => e.traceId === traceId).length).toBeGreaterThan(3);

      const detail = await stack.api<SessionDetail>('GET', `/api/sessions/${id}`);
      expect(detail.body.turns).toEqual([expect.objectContaining({ id: turn.id, status: 'completed' })]);
    } finally {
      await stream.close();
    }
  });

  it('surfaces a scripted HTTP 500 as a failed turn with the error in the stream', async () => {
    const id = await newSession();
    const stream = new SseClient(`${stack.url}/api/stream?threads=${id}&after=0`);
    try {
      const { body } = await stack.api<Turn>('POST', `/api/sessions/${id}/messages`, { text: 'scn:http500' });
      await stream.waitFor((c) => completedOf(ofTurn(body.turn.id)(c)) !== undefined, 30_000, 'failed turn');
      const events = ofTurn(body.turn.id)(stream);
      const error = events.find((e) => e.type === 'runtime.error');
      expect(error).toBeDefined();
      expect(JSON.stringify(error!.data)).toContain('internalServerError');
      const done = completedOf(events)!.data.params as {
        turn: { status: string; error: { message: string } };
      };
      expect(done.turn.status).toBe('failed');
      expect(done.turn.error.message).toEqual(expect.any(String));
      const detail = await stack.api<SessionDetail>('GET', `/api/sessions/${id}`);
      expect(detail.body.turns[0]).toMatchObject({
        id: body.turn.id,
        status: 'failed',
        error: { message: expect.any(String) },
      });
    } finally {
      await stream.close();
    }
  });

  it('resumes from Last-Event-ID with no gap and no duplicate', async () => {
    const head = (await stack.api<Health>('GET', '/api/health')).body.eventLog.head;
    const all = new SseClient(`${stack.url}/api/stream?after=0`);
    await all.waitFor((c) => c.events.length >= head, 10_000, 'full history');
    await all.close();
    const everything = all.events.slice(0, head);
    expect(everything.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    const cut = Math.floor(head / 2);
    const resumed = new SseClient(`${stack.url}/api/stream`, { 'last-event-id': String(cut) });
    await resumed.waitFor((c) => c.events.length >= head - cut, 10_000, 'resumed history');
    await resumed.close();
    expect(resumed.frames[0]).toMatchObject({ event: 'ready', data: { cursor: cut } });
    expect(resumed.events.slice(0, head - cut).map((e) => e.seq)).toEqual(
      everything.slice(cut).map((e) => e.seq),
    );
  });

  it('answers bad input with a structured error and writes nothing', async () => {
    const count = async () =>
      (
        await stack.db.pool.query<{ n: number }>(
          'SELECT (SELECT count(*) FROM runtime_commands) + (SELECT count(*) FROM sessions) AS n',
        )
      ).rows[0]!.n;
    const before = await count();
    const id = await (async () =>
      (await stack.api<{ sessions: { id: string }[] }>('GET', '/api/sessions')).body.sessions[0]!.id)();

    const malformed = await stack.api<{ error: { code: string } }>(
      'POST',
      `/api/sessions/${id}/messages`,
      '{"text": "unterminated',
    );
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    const missing = await stack.api<{ error: { code: string; details: unknown } }>(
      'POST',
      `/api/sessions/${id}/messages`,
      {},
    );
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({
      code: 'invalid_request',
      details: { issues: [expect.objectContaining({ path: 'body.text' })] },
    });
    const empty = await stack.api('POST', `/api/sessions/${id}/messages`, { text: '   ' });
    expect(empty.status).toBe(400);
    const unknown = await stack.api<{ error: { code: string } }>('POST', '/api/sessions/nope/messages', {
      text: 'hi',
    });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const badCwd = await stack.api('POST', '/api/sessions', { cwd: 'relative/dir' });
    expect(badCwd.status).toBe(400);
    const extra = await stack.api('POST', '/api/sessions', { bogus: 1 });
    expect(extra.status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('exposes Prometheus metrics: requests by operation, turns by status, event-log lag', async () => {
    const res = await fetch(`${stack.url}/api/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(
      /cm_http_requests_total\{operation="sessions.sendMessage",method="POST",status="202"\} [1-9]/,
    );
    expect(text).toMatch(
      /cm_http_request_duration_seconds_bucket\{le="0.1",operation="sessions.create",method="POST"\}/,
    );
    expect(text).toMatch(/cm_turns\{status="completed"\} [1-9]/);
    expect(text).toMatch(/cm_turns\{status="failed"\} [1-9]/);
    expect(text).toMatch(/cm_service_up\{service="runtime-bridge"\} 1/);
    expect(text).toMatch(/cm_event_log_lag\{consumer="gateway-stream"\} \d+/);
    expect(text).toMatch(/cm_event_log_lag\{consumer="extension:auto-title"\} \d+/);
    expect(text).toMatch(/cm_requests_pending\{kind="commandApproval"\} \d+/);
  });

  it('replays the first result for a repeated Idempotency-Key', async () => {
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'create-once-1' };
    const first = await fetch(`${stack.url}/api/sessions`, { method: 'POST', headers, body: '{}' });
    const second = await fetch(`${stack.url}/api/sessions`, { method: 'POST', headers, body: '{}' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replay')).toBe('true');
    const a = (await first.json()) as Session;
    const b = (await second.json()) as Session;
    expect(b.session.id).toBe(a.session.id);
    const reused = await fetch(`${stack.url}/api/sessions`, {
      method: 'POST',
      headers,
      body: '{"model":"other"}',
    });
    expect(reused.status).toBe(422);
  });
});
