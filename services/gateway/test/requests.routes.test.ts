import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CommandBus, EventLog, IdempotencyStore, Notifier, createLogger } from '@codex-manager/core';
import { createApp } from '../src/app';
import { EventHub } from '../src/stream/event-hub';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

// The request routes in-process over a real database with no runtime-bridge running: what holds
// before (and without) a runtime ever hearing of a decision.
const log = createLogger('test', 'silent');
let db: TestDatabase;
let notifier: Notifier;
let hub: EventHub;
let bus: CommandBus;
let server: http.Server;
let url: string;

beforeAll(async () => {
  db = await createTestDatabase('gateway_requests');
  notifier = new Notifier(db.url, log);
  await notifier.start();
  bus = new CommandBus(db.pool, notifier);
  await bus.start();
  hub = new EventHub(new EventLog(db.pool), notifier, log);
  await hub.start();
  server = http.createServer(
    createApp({
      pool: db.pool,
      bus,
      hub,
      idempotencyStore: new IdempotencyStore(db.pool),
      log,
      apiToken: undefined,
      commandTimeoutMs: 300,
      defaultCwd: undefined,
      heartbeatStaleMs: 10_000,
      webRoot: `${__dirname}/../../../web/public`,
      lockDefaults: false,
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await db.pool.query(`INSERT INTO sessions (id) VALUES ('s1'), ('s2')`);
});

afterAll(async () => {
  hub.stop();
  bus.stop();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await notifier.stop();
  await db.drop();
});

interface Body {
  error?: { code: string; message: string; details?: Record<string, unknown> };
  requests?: { id: string }[];
  request?: Record<string, unknown>;
  status?: string;
}
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', 'x-actor': 'dana', 'x-client': 'cli' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Body };
};

async function insert(
  kind: string,
  method: string,
  params: object,
  over: Record<string, unknown> = {},
): Promise<string> {
  const id = randomUUID();
  const cols = {
    id,
    kind,
    method,
    session_id: 's1',
    params: JSON.stringify(params),
    runtime_generation: 'gen-1',
    rpc_id: JSON.stringify(Math.floor(Math.random() * 1e9)),
    ...over,
  };
  const names = Object.keys(cols);
  await db.pool.query(
    `INSERT INTO server_requests (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
    Object.values(cols),
  );
  return id;
}

const rowOf = async (id: string) =>
  (await db.pool.query('SELECT * FROM server_requests WHERE id = $1', [id])).rows[0] as Record<
    string,
    unknown
  >;

describe('request routes without a runtime-bridge', () => {
  it('list each kind under its own route, pending by default, unknown sessions 404', async () => {
    const approval = await insert('fileChangeApproval', 'item/fileChange/requestApproval', {
      threadId: 's1',
    });
    const call1 = await insert('toolCall', 'item/tool/call', { tool: 'x' });
    const old = await insert(
      'toolCall',
      'item/tool/call',
      { tool: 'y' },
      { status: 'expired', expired_reason: 'gone' },
    );
    const ids = async (path: string) => (await call('GET', path)).body.requests!.map((r) => r.id);
    expect(await ids('/api/sessions/s1/approvals')).toEqual([approval]);
    expect(await ids('/api/sessions/s1/tool-calls')).toEqual([call1]);
    expect(await ids('/api/sessions/s1/tool-calls?status=all')).toEqual([call1, old]);
    expect(await ids('/api/sessions/s1/tool-calls?status=expired')).toEqual([old]);
    expect(await ids('/api/sessions/s2/approvals')).toEqual([]);
    expect((await call('GET', '/api/sessions/s1/approvals?status=bogus')).status).toBe(400);
    expect((await call('GET', '/api/sessions/none/tool-input')).status).toBe(404);
    expect((await call('GET', `/api/tool-calls/${approval}`)).status).toBe(404);
    expect((await call('GET', `/api/approvals/${approval}`)).body).toMatchObject({
      request: { id: approval, decisions: ['accept', 'acceptForSession', 'decline', 'cancel'] },
    });
    expect((await call('POST', `/api/tool-calls/${old}/response`, { contentItems: [] })).status).toBe(410);
  });

  it('a decision taken while no bridge runs is recorded (503 says so); a repeat is already_resolved', async () => {
    const id = await insert('fileChangeApproval', 'item/fileChange/requestApproval', {});
    const first = await call('POST', `/api/approvals/${id}/decision`, { decision: 'decline' });
    expect(first).toMatchObject({
      status: 503,
      body: { error: { code: 'runtime_unavailable', details: { requestId: id, decision: 'decline' } } },
    });
    expect(first.body.error!.message).toMatch(/decision is recorded/);
    expect(await rowOf(id)).toMatchObject({
      status: 'resolved',
      decision: 'decline',
      resolved_actor: 'dana',
      resolved_source: 'cli',
      answered_at: null,
    });
    expect((await call('POST', `/api/approvals/${id}/decision`, { decision: 'decline' })).body).toMatchObject(
      {
        status: 'already_resolved',
        request: { decision: 'decline', answeredAt: null },
      },
    );
    expect((await call('POST', `/api/approvals/${id}/decision`, { decision: 'accept' })).status).toBe(409);
  });

  it('answers to secret questions are sent, never shown or logged', async () => {
    const params = {
      questions: [
        { id: 'pin', header: 'PIN', question: 'Your PIN?', isOther: true, isSecret: true, options: null },
      ],
    };
    const id = await insert('userInput', 'item/tool/requestUserInput', params);
    const res = await call('POST', `/api/tool-input/${id}/decision`, { answers: { pin: '1234' } });
    expect(res.status).toBe(503);
    expect((await rowOf(id)).response).toEqual({ answers: { pin: { answers: ['1234'] } } });
    const shown = await call('GET', `/api/tool-input/${id}`);
    expect(shown.body).toMatchObject({
      request: { response: { answers: { pin: { answers: ['[redacted]'] } } } },
    });
    const { rows } = await db.pool.query(`SELECT data FROM events WHERE data->>'requestId' = $1`, [id]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain('1234');
    // The repeat is still recognised (by hash), though the answer is not shown.
    expect(
      (await call('POST', `/api/tool-input/${id}/decision`, { answers: { pin: ['1234'] } })).body.status,
    ).toBe('already_resolved');
    expect(
      (await call('POST', `/api/tool-input/${id}/decision`, { answers: { pin: ['0000'] } })).status,
    ).toBe(409);
  });

  it('a tool-call response must be content items; success defaults to true', async () => {
    const id = await insert('toolCall', 'item/tool/call', {});
    const bad = await call('POST', `/api/tool-calls/${id}/response`, {
      contentItems: [{ type: 'inputText' }],
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect((await rowOf(id)).status).toBe('pending');
    await call('POST', `/api/tool-calls/${id}/response`, {
      contentItems: [{ type: 'inputText', text: 'ok' }],
    });
    expect((await rowOf(id)).response).toEqual({
      contentItems: [{ type: 'inputText', text: 'ok' }],
      success: true,
    });
  });
});
