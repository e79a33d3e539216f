import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CommandBus, EventLog, IdempotencyStore, Notifier, createLogger } from '@codex-manager/core';
import { createApp } from '../src/app';
import { EventHub } from '../src/stream/event-hub';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { SseClient } from '../../../test/helpers/sse';

// The gateway in-process over a real database with no runtime-bridge: everything that must hold
// before a command ever reaches the runtime.
const TOKEN = 'test-token-0123456789abcdef';
const log = createLogger('test', 'silent');
let db: TestDatabase;
let notifier: Notifier;
let hub: EventHub;
let bus: CommandBus;
let server: http.Server;
let url: string;

beforeAll(async () => {
  db = await createTestDatabase('gateway_http');
  notifier = new Notifier(db.url, log);
  await notifier.start();
  bus = new CommandBus(db.pool, notifier);
  await bus.start();
  hub = new EventHub(new EventLog(db.pool), notifier, log);
  await hub.start();
  const app = createApp({
    pool: db.pool,
    bus,
    hub,
    idempotencyStore: new IdempotencyStore(db.pool),
    log,
    apiToken: TOKEN,
    commandTimeoutMs: 300,
    defaultCwd: undefined,
    lockDefaults: false,
    heartbeatStaleMs: 10_000,
    webRoot: `${__dirname}/../../../web/dist`,
  });
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  hub.stop();
  bus.stop();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await notifier.stop();
  await db.drop();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) => {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { error?: { code: string; details?: Record<string, unknown> } } & Record<
      string,
      unknown
    >,
  };
};

describe('gateway HTTP surface', () => {
  it('rejects calls without the bearer token, and with a wrong one, before doing anything', async () => {
    expect(await call('GET', '/api/health', undefined, {})).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    });
    expect(
      (await call('GET', '/api/health', undefined, { authorization: 'Bearer wrong-token-0123456789' }))
        .status,
    ).toBe(401);
    expect((await call('POST', '/api/sessions', {}, {})).status).toBe(401);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM runtime_commands');
    expect(rows[0].n).toBe(0);
  });

  it('reports not ready (503) and says why when no service has a heartbeat', async () => {
    const res = await call('GET', '/api/health');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      status: 'degraded',
      database: { ok: true },
      runtime: { state: 'unknown' },
    });
  });

  it('fails a command nobody serves with 503 runtime_unavailable naming the command', async () => {
    const res = await call('POST', '/api/sessions', {});
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({
      code: 'runtime_unavailable',
      details: { commandId: expect.any(String) },
    });
    const { rows } = await db.pool.query('SELECT status FROM runtime_commands WHERE id = $1', [
      res.body.error!.details!.commandId,
    ]);
    expect(rows[0].status).toBe('expired');
  });

  it('answers unknown routes with a structured 404', async () => {
    expect(await call('GET', '/api/nope')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
  });

  it('streams with filters and resumes after a dropped connection without gap or duplicate', async () => {
    const events = new EventLog(db.pool);
    const append = (thread: string, n: number) =>
      events.append(
        Array.from({ length: n }, (_, i) => ({
          type: i % 2 ? 'runtime.item.started' : 'turn.x',
          threadId: thread,
          source: 'test',
          data: { i },
        })),
      );
    const start = await events.head();
    await append('t1', 10);
    const first = new SseClient(`${url}/api/stream?after=${start}&threads=t1&types=runtime.`, auth);
    await first.waitFor((c) => c.events.length >= 5, 5000, 'five filtered events');
    expect(first.events.every((e) => e.threadId === 't1' && e.type.startsWith('runtime.'))).toBe(true);
    await first.close();
    const lastSeen = first.events[first.events.length - 1]!.seq;

    // Events appended while the client is away, from several writers at once.
    await Promise.all([append('t1', 30), append('t2', 30), append('t1', 30)]);
    const resumed = new SseClient(`${url}/api/stream?threads=t1&types=runtime.`, {
      ...auth,
      'last-event-id': String(lastSeen),
    });
    await resumed.waitFor((c) => c.events.length >= 30, 5000, 'resumed events');
    await append('t1', 4); // and live ones after the catch-up
    await resumed.waitFor((c) => c.events.length >= 32, 5000, 'live events');
    await resumed.close();
    const { rows } = await db.pool.query<{ seq: number }>(
      `SELECT seq FROM events WHERE seq > $1 AND thread_id = 't1' AND type LIKE 'runtime.%' ORDER BY seq`,
      [lastSeen],
    );
    expect(resumed.events.map((e) => e.seq)).toEqual(rows.map((r) => r.seq));
  });

  it('rejects a cursor ahead of the log and a malformed Last-Event-ID with 400', async () => {
    const res = await fetch(`${url}/api/stream?after=99999999`, { headers: auth });
    expect(res.status).toBe(400);
    const bad = await fetch(`${url}/api/stream`, { headers: { ...auth, 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });
});
