import { io } from 'socket.io-client';
import { EventLog, type NewEvent } from '@codex-manager/core';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { SseClient } from '../../../test/helpers/sse';
import { SocketStreamClient } from '../../../test/helpers/socket';
import { startGateway, type InProcessGateway } from './harness';

const TOKEN = 'socket-token-0123456789abcdef';
let db: TestDatabase;
let gw: InProcessGateway;
let log: EventLog;
const clients: SocketStreamClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase('socket_protocol');
  gw = await startGateway(db, { token: TOKEN });
  log = new EventLog(db.pool);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await gw.stop();
  await db.drop();
});

const client = (opts: ConstructorParameters<typeof SocketStreamClient>[1] = {}) => {
  const c = new SocketStreamClient(gw.url, { token: TOKEN, ...opts });
  clients.push(c);
  return c;
};
const ev = (threadId: string, type = 'runtime.item.started', n = 0): NewEvent => ({
  type,
  threadId,
  source: 'test',
  data: { n },
});
async function waitUntil(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
const connectError = (c: SocketStreamClient) =>
  c.framesNamed('connect_error')[0] as {
    message: string;
    data: { error: { code: string; details?: unknown } };
  };

describe('socket.io stream protocol', () => {
  it('refuses a handshake without the token or with a wrong one, and accepts it as auth or header', async () => {
    const none = client({ token: undefined });
    const wrong = client({ token: 'wrong-token-0123456789abcdef' });
    await none.waitFor((c) => c.framesNamed('connect_error').length > 0, 10_000, 'connect_error');
    await wrong.waitFor((c) => c.framesNamed('connect_error').length > 0, 10_000, 'connect_error');
    expect(connectError(none)).toMatchObject({
      message: 'unauthorized',
      data: { error: { code: 'unauthorized' } },
    });
    expect(connectError(wrong).data.error.code).toBe('unauthorized');
    expect(none.framesNamed('ready')).toEqual([]);

    const viaHeader = client({ token: undefined, headers: { authorization: `Bearer ${TOKEN}` } });
    await viaHeader.waitFor((c) => c.framesNamed('ready').length > 0, 10_000, 'ready');
  });

  it('refuses a malformed cursor or one ahead of the log, saying what is wrong', async () => {
    const head = (await log.state()).head;
    const ahead = client({ after: head + 1000 });
    await ahead.waitFor((c) => c.framesNamed('connect_error').length > 0, 10_000, 'connect_error');
    expect(connectError(ahead).data.error).toMatchObject({
      code: 'invalid_request',
      details: { cursor: head + 1000 },
    });

    const raw = io(gw.url, {
      path: '/api/socket.io',
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: TOKEN, after: 'soon' },
    });
    const err = await new Promise<{ message: string; data: { error: { code: string; details: unknown } } }>(
      (resolve) => raw.on('connect_error', (e) => resolve(e as never)),
    );
    raw.close();
    expect(err.data.error.code).toBe('invalid_request');
    expect(JSON.stringify(err.data.error.details)).toContain('auth.after');
  });

  it('sends ready with the head, delivers nothing before subscribe, then everything after the handshake cursor', async () => {
    const head = (await log.state()).head;
    const c = client();
    await c.waitFor((x) => x.framesNamed('ready').length > 0, 10_000, 'ready');
    expect(c.framesNamed('ready')[0]).toEqual({ protocol: 1, head, cursor: head });
    await log.append([ev('t1', 'runtime.item.started', 1), ev('t2', 'runtime.item.started', 2)]);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.events).toEqual([]);
    const sub = await c.command<{ all: boolean; cursor: number }>('subscribe', {});
    expect(sub).toMatchObject({ all: true, threads: [], types: [], cursor: head });
    await c.waitFor((x) => x.events.length >= 2, 10_000, 'events after subscribe');
    expect(c.events.map((e) => e.seq)).toEqual([head + 1, head + 2]);
    expect(c.events[0]).toMatchObject({
      seq: head + 1,
      type: 'runtime.item.started',
      threadId: 't1',
      source: 'test',
      data: { n: 1 },
    });
  });

  it('delivers only the subscribed threads and type prefixes, and changes with subscribe/unsubscribe', async () => {
    const c = client();
    await c.waitFor((x) => x.framesNamed('ready').length > 0, 10_000, 'ready');
    const s1 = await c.command<{ threads: string[]; types: string[] }>('subscribe', {
      threads: ['a', 'b'],
      types: ['turn.'],
    });
    expect(s1).toMatchObject({ all: false, threads: ['a', 'b'], types: ['turn.'] });
    await log.append([
      ev('a', 'turn.x', 1),
      ev('a', 'runtime.y', 2),
      ev('b', 'turn.x', 3),
      ev('c', 'turn.x', 4),
    ]);
    await c.waitFor((x) => x.events.length >= 2, 10_000, 'filtered events');
    const s2 = await c.command<{ threads: string[]; cursor: number }>('unsubscribe', { threads: ['a'] });
    expect(s2.threads).toEqual(['b']);
    await log.append([ev('a', 'turn.x', 5), ev('b', 'turn.x', 6)]);
    await c.waitFor((x) => x.events.length >= 3, 10_000, 'after unsubscribe');
    await c.command('unsubscribe', {});
    const seven = (await log.append([ev('b', 'turn.x', 7)]))!.last;
    await waitUntil(() => gw.hub.head >= seven);
    const pong = await c.command<{ cursor: number; head: number }>('ping', { nonce: 'n1' });
    await c.command('subscribe', { threads: ['c'], types: [] });
    await log.append([ev('c', 'runtime.z', 8)]);
    await c.waitFor((x) => x.events.length >= 4, 10_000, 'after resubscribe');
    expect(c.events.map((e) => e.data.n)).toEqual([1, 3, 6, 8]);
    expect(pong).toMatchObject({ nonce: 'n1', cursor: expect.any(Number), head: expect.any(Number) });
    // Unsubscribed from everything, the socket still moved along with the log.
    expect(pong.cursor).toBe(seven);
  });

  it('answers ping with pong (frame or acknowledgement)', async () => {
    const c = client();
    await c.waitFor((x) => x.framesNamed('ready').length > 0, 10_000, 'ready');
    c.socket.emit('ping', { nonce: 7 });
    await c.waitFor((x) => x.framesNamed('pong').length > 0, 10_000, 'pong');
    expect(c.framesNamed('pong')[0]).toMatchObject({
      nonce: 7,
      ts: expect.any(String),
      head: expect.any(Number),
    });
    expect(await c.command('ping')).toMatchObject({ ts: expect.any(String) });
  });

  it('answers invalid commands with an error frame and keeps the socket and its subscription', async () => {
    const c = client();
    await c.waitFor((x) => x.framesNamed('ready').length > 0, 10_000, 'ready');
    c.socket.emit('subscribe', { threads: 'not-a-list' });
    c.socket.emit('subscribe', { bogus: true });
    c.socket.emit('frobnicate', {});
    c.socket.emit('unsubscribe', 42);
    await c.waitFor((x) => x.framesNamed('error').length >= 4, 10_000, 'four error frames');
    const errors = c.framesNamed('error') as {
      code: string;
      command: string;
      details: { issues?: { path: string }[] };
    }[];
    expect(errors.map((e) => [e.code, e.command])).toEqual([
      ['invalid_request', 'subscribe'],
      ['invalid_request', 'subscribe'],
      ['invalid_request', 'frobnicate'],
      ['invalid_request', 'unsubscribe'],
    ]);
    expect(errors[0]!.details.issues![0]!.path).toBe('threads');
    const viaAck = await c.command<{ error: { code: string } }>('subscribe', { types: [''] });
    expect(viaAck.error.code).toBe('invalid_request');
    const refused = await c
      .command<{ error: { code: string } }>('subscribe', {})
      .then(() => c.command<{ error: { code: string; message: string } }>('unsubscribe', { threads: ['x'] }));
    expect(refused.error.message).toMatch(/subscribed to all threads/);
    // Nothing changed by the refused commands: still subscribed to everything.
    await log.append([ev('zz', 'runtime.q', 9)]);
    await c.waitFor((x) => x.events.some((e) => e.data.n === 9), 10_000, 'event after errors');
    expect(c.socket.connected).toBe(true);
  });

  it('sends the same envelopes as SSE for the same range', async () => {
    const head = (await log.state()).head;
    await log.append([ev('s', 'runtime.a', 1), ev('s', 'turn.b', 2)]);
    const sock = client({ after: head, subscribe: { threads: ['s'] } });
    const sse = new SseClient(`${gw.url}/api/stream?after=${head}&threads=s`, {
      authorization: `Bearer ${TOKEN}`,
    });
    try {
      await sock.waitFor((x) => x.events.length >= 2, 10_000, 'socket events');
      await sse.waitFor((x) => x.events.length >= 2, 10_000, 'sse events');
      expect(sock.events).toEqual(sse.events);
    } finally {
      await sse.close();
    }
  });

  it('refuses a browser page from another origin but accepts the gateway origin and loopback', async () => {
    const tryOrigin = (origin: string) =>
      new Promise<string>((resolve) => {
        const s = io(gw.url, {
          path: '/api/socket.io',
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          auth: { token: TOKEN },
          extraHeaders: { origin },
        });
        s.on('connect', () => {
          s.close();
          resolve('connected');
        });
        s.on('connect_error', () => {
          s.close();
          resolve('refused');
        });
      });
    expect(await tryOrigin('https://evil.example')).toBe('refused');
    expect(await tryOrigin(gw.url)).toBe('connected');
    expect(await tryOrigin('http://localhost:5173')).toBe('connected');
  });
});
