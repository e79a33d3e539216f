import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import type { EventEnvelope } from '../../services/core/src';
import { SocketStreamClient } from '../helpers/socket';
import { SseClient } from '../helpers/sse';
import { startStack, type Stack } from '../helpers/stack';

// The live stream end to end: the real runtime floods deltas, the runtime-bridge coalesces them,
// gateways fan them out; clients get dropped, gateways die, and nothing is lost or repeated.
jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../..');
let stack: Stack;
let port: number;
const clients: SocketStreamClient[] = [];

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return p;
}

beforeAll(async () => {
  port = await freePort();
  // A fixed port, so a restarted gateway comes back where its clients left it.
  stack = await startStack('stream_live', { args: ['--port', String(port)] });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await stack?.stop();
});

const socketClient = (url: string, threadId: string, after?: number) => {
  const c = new SocketStreamClient(url, {
    subscribe: { threads: [threadId] },
    ...(after === undefined ? {} : { after }),
  });
  clients.push(c);
  return c;
};

async function newSession(): Promise<string> {
  const res = await stack.api<{ session: { id: string } }>('POST', '/api/sessions', {});
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

const isDelta = (e: EventEnvelope) => e.type === 'runtime.item.agentMessage.delta';
const deltaText = (events: EventEnvelope[]) =>
  events
    .filter(isDelta)
    .map((e) => (e.data.params as { delta: string }).delta)
    .join('');
const notifications = (events: EventEnvelope[]) =>
  events.filter(isDelta).reduce((n, e) => n + ((e.data.coalesced as number | undefined) ?? 1), 0);
const completedText = (events: EventEnvelope[]) =>
  (
    events.find(
      (e) =>
        e.type === 'runtime.item.completed' &&
        (e.data.params as { item: { type: string } }).item.type === 'agentMessage',
    )?.data.params as { item: { text: string } } | undefined
  )?.item.text;
const turnDone = (turnId: string) => (c: { events: EventEnvelope[] }) =>
  c.events.some((e) => e.type === 'runtime.turn.completed' && e.turnId === turnId);

/**
 * The thread's events as stored, for comparing what a client received with the log itself. The
 * runtime may still append to the thread after the turn completes (token usage, status), so both
 * sides are compared up to the turn's completion event, which the client is known to have.
 */
async function logOf(threadId: string, after: number, upTo: number): Promise<number[]> {
  const { rows } = await stack.db.pool.query<{ seq: string }>(
    'SELECT seq FROM events WHERE thread_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq',
    [threadId, after, upTo],
  );
  return rows.map((r) => Number(r.seq));
}

/** Sequence numbers a client received, up to and including the completion of `turnId`. */
function seqsThrough(events: EventEnvelope[], turnId: string): { seqs: number[]; upTo: number } {
  const done = events.find((e) => e.type === 'runtime.turn.completed' && e.turnId === turnId);
  if (!done) throw new Error(`turn ${turnId} never completed on this client`);
  return { seqs: events.filter((e) => e.seq <= done.seq).map((e) => e.seq), upTo: done.seq };
}

async function expectWholeLog(events: EventEnvelope[], threadId: string, after: number, turnId: string) {
  const { seqs, upTo } = seqsThrough(events, turnId);
  expect(seqs).toEqual(await logOf(threadId, after, upTo));
}

async function head(): Promise<number> {
  return (await stack.api<{ eventLog: { head: number } }>('GET', '/api/health')).body.eventLog.head;
}

describe('the live stream, end to end', () => {
  it('coalesces a 2,000-delta flood into far fewer events with the identical text, in order', async () => {
    const id = await newSession();
    const start = await head();
    const c = socketClient(stack.url, id, start);
    await c.waitFor((x) => x.framesNamed('subscription').length > 0, 30_000, 'subscribed');
    const turnId = await send(id, 'scn:flood:2000');
    await c.waitFor(turnDone(turnId), 60_000, 'turn completed');
    const deltas = c.events.filter(isDelta);
    expect(notifications(c.events)).toBe(2000);
    expect(deltas.length).toBeLessThan(2000);
    expect(deltas.some((e) => (e.data.coalesced as number) > 1)).toBe(true);
    expect(deltaText(c.events)).toBe('0123456789'.repeat(200));
    expect(completedText(c.events)).toBe('0123456789'.repeat(200));
    await expectWholeLog(c.events, id, start, turnId);
  });

  it('resumes without a gap or a repeat after forced disconnects in the middle of a 5,000-delta burst', async () => {
    const id = await newSession();
    const start = await head();
    const c = socketClient(stack.url, id, start);
    await c.waitFor((x) => x.framesNamed('subscription').length > 0, 30_000, 'subscribed');
    let drops = 0;
    c.socket.on('events', () => {
      const seen = notifications(c.events);
      if ((drops === 0 && seen > 0) || (drops === 1 && seen >= 2500)) {
        drops++;
        c.dropConnection();
      }
    });
    const turnId = await send(id, 'scn:flood:5000');
    await c.waitFor(turnDone(turnId), 90_000, 'turn completed');
    expect(drops).toBe(2);
    expect(c.connects).toBe(3);
    expect(notifications(c.events)).toBe(5000);
    expect(deltaText(c.events)).toBe('0123456789'.repeat(500));
    await expectWholeLog(c.events, id, start, turnId);
  });

  it('delivers identical streams from two gateway processes on the same database', async () => {
    const second = await startSecondGateway();
    try {
      const id = await newSession();
      const start = await head();
      const a = socketClient(stack.url, id, start);
      const b = socketClient(second.url, id, start);
      const sse = new SseClient(`${second.url}/api/stream?threads=${id}&after=${start}`);
      try {
        await a.waitFor((x) => x.framesNamed('subscription').length > 0, 30_000, 'a subscribed');
        await b.waitFor((x) => x.framesNamed('subscription').length > 0, 30_000, 'b subscribed');
        const t1 = await send(id, 'scn:text hello');
        await a.waitFor(turnDone(t1), 60_000, 'first turn on a');
        const t2 = await send(id, 'scn:flood:500');
        for (const c of [a, b]) await c.waitFor(turnDone(t2), 60_000, 'second turn');
        await sse.waitFor(turnDone(t2), 60_000, 'second turn on SSE');
        // Extensions may still append to the thread after the turn: compare up to its completion.
        const { upTo } = seqsThrough(a.events, t2);
        const through = (c: { events: EventEnvelope[] }) => c.events.filter((e) => e.seq <= upTo);
        expect(through(a).length).toBeGreaterThan(10);
        expect(through(b)).toEqual(through(a));
        expect(through(sse)).toEqual(through(a));
        await expectWholeLog(a.events, id, start, t2);
      } finally {
        await sse.close();
      }
    } finally {
      await second.stop();
    }
  });

  it('resumes across a gateway killed mid-turn and restarted, with no gap and no repeat', async () => {
    const id = await newSession();
    const start = await head();
    const c = socketClient(stack.url, id, start);
    await c.waitFor((x) => x.framesNamed('subscription').length > 0, 30_000, 'subscribed');
    const turnId = await send(id, 'scn:slow:40x100');
    await c.waitFor((x) => x.events.filter(isDelta).length >= 3, 30_000, 'first deltas');
    const health = await stack.api<{ services: { gateway: { instances: { pid: number; up: boolean }[] } } }>(
      'GET',
      '/api/health',
    );
    const pids = health.body.services.gateway.instances.filter((i) => i.up).map((i) => i.pid);
    expect(pids).toHaveLength(1);
    process.kill(pids[0]!, 'SIGKILL');
    await c.waitFor(turnDone(turnId), 90_000, 'turn completed after the restart');
    expect(c.connects).toBeGreaterThanOrEqual(2);
    const ticks = Array.from({ length: 40 }, (_, i) => `tick${i} `).join('');
    expect(deltaText(c.events)).toBe(ticks);
    await expectWholeLog(c.events, id, start, turnId);
  });
});

/** A second gateway process on the stack's database, as an operator would run one. */
async function startSecondGateway(): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'services/gateway/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: stack.db.url,
      CM_HOST: '127.0.0.1',
      CM_PORT: '0',
      CM_LOG_LEVEL: 'info',
      CM_PARENT_PID: String(process.pid),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`second gateway did not start:\n${out}`));
    }, 90_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      out += line + '\n';
      if (line.includes('"gateway.listening"')) {
        clearTimeout(t);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) => reject(new Error(`second gateway exited (${code}):\n${out}`)));
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
