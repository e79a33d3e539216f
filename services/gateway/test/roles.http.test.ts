import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CommandBus,
  EventLog,
  IdempotencyStore,
  Notifier,
  createLogger,
  loadConfig,
} from '@codex-manager/core';
import { createApp } from '../src/app';
import { EventHub } from '../src/stream/event-hub';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

// Token roles and the queue-off answers, in-process over a real database (no queue, no services).
const ADMIN = 'admin-token-0123456789';
const OPERATOR = 'operator-token-0123456789';
const VIEWER = 'viewer-token-0123456789';
const log = createLogger('test', 'silent');
let db: TestDatabase;
let notifier: Notifier;
let hub: EventHub;
let bus: CommandBus;
let server: http.Server;
let url: string;

beforeAll(async () => {
  db = await createTestDatabase('gateway_roles');
  notifier = new Notifier(db.url, log);
  await notifier.start();
  bus = new CommandBus(db.pool, notifier);
  await bus.start();
  hub = new EventHub(new EventLog(db.pool), notifier, log);
  await hub.start();
  const { config } = loadConfig({
    env: { CM_API_TOKEN: ADMIN, CM_API_TOKENS: `operator:${OPERATOR}, viewer:${VIEWER}` },
  });
  const app = createApp({
    pool: db.pool,
    bus,
    hub,
    idempotencyStore: new IdempotencyStore(db.pool),
    log,
    apiToken: config.apiToken,
    apiTokens: config.apiTokens,
    queue: null,
    commandTimeoutMs: 300,
    defaultCwd: undefined,
    heartbeatStaleMs: 10_000,
    lockDefaults: false,
    webRoot: `${__dirname}/../../../web/public`,
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

const call = async (token: string | null, method: string, path: string, body?: unknown) => {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; details?: unknown } } };
};

describe('roles from the API token', () => {
  it('lets a viewer read but not change; an operator change but not reload; an admin reload', async () => {
    expect((await call(null, 'GET', '/api/extensions')).status).toBe(401);
    expect((await call(VIEWER, 'GET', '/api/extensions')).status).toBe(200);
    expect((await call(VIEWER, 'GET', '/api/extensions/audit')).status).toBe(200);
    const viewerCancel = await call(VIEWER, 'POST', '/api/jobs/00000000-0000-0000-0000-000000000000/cancel');
    expect(viewerCancel.status).toBe(403);
    expect(viewerCancel.body.error).toMatchObject({
      code: 'forbidden',
      details: { required: 'operator', role: 'viewer' },
    });
    expect((await call(OPERATOR, 'POST', '/api/extensions/reload')).status).toBe(403);
    // The admin passes the role check; with no extension host running the reload is 503.
    const reload = await call(ADMIN, 'POST', '/api/extensions/reload');
    expect(reload.status).toBe(503);
    expect(reload.body.error?.code).toBe('service_unavailable');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM extension_reloads')).rows[0].n).toBe(0);
  });

  it('answers 503 for job changes and suggestions while the queue is off, and writes nothing', async () => {
    await db.pool.query(`INSERT INTO sessions (id) VALUES ('s-roles')`);
    const enqueue = await call(OPERATOR, 'POST', '/api/jobs', {
      type: 'instruction',
      payload: { owner: 'p', agent: 'a', instruction: 'x' },
    });
    expect(enqueue.status).toBe(503);
    expect(enqueue.body.error?.code).toBe('queue_unavailable');
    expect((await call(OPERATOR, 'POST', '/api/sessions/s-roles/suggest-request', {})).status).toBe(503);
    expect((await call(OPERATOR, 'POST', '/api/sessions/s-roles/suggest-request/enqueue')).status).toBe(503);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM jobs')).rows[0].n).toBe(0);
  });

  it('rejects a malformed role list in configuration, naming the variable', () => {
    expect(() => loadConfig({ env: { CM_API_TOKENS: 'root:0123456789abcdefgh' } })).toThrow(/CM_API_TOKENS/);
    expect(() => loadConfig({ env: { CM_API_TOKENS: 'viewer:short' } })).toThrow(/16 characters/);
  });
});
