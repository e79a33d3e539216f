import type { EventEnvelope } from '../../services/core/src';
import { SseClient } from '../helpers/sse';
import { startStack, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('runtime_faults');
});
afterAll(async () => {
  await stack?.stop();
});

interface Health {
  status: string;
  runtime: { state: string; pid: number; restarts: number };
  services: Record<string, { up: boolean; instances: { pid: number; up: boolean }[] }>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const health = async () => (await stack.api<Health>('GET', '/api/health')).body;

/** Starts a slow turn and resolves once its first delta has been streamed. */
async function slowTurnStreaming(stream: SseClient, sessionId: string): Promise<string> {
  const res = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${sessionId}/messages`, {
    text: 'scn:slow:200x100',
  });
  expect(res.status).toBe(202);
  const turnId = res.body.turn.id;
  await stream.waitFor(
    (c) => c.events.some((e) => e.turnId === turnId && e.type === 'runtime.item.agentMessage.delta'),
    30_000,
    'first delta',
  );
  return turnId;
}

async function expectLogConsistent(): Promise<void> {
  const { rows } = await stack.db.pool.query<{ n: number; max: number; head: number }>(
    'SELECT count(*)::int AS n, max(seq) AS max, (SELECT seq FROM event_head) AS head FROM events',
  );
  expect(rows[0]!.n).toBe(rows[0]!.max);
  expect(rows[0]!.head).toBe(rows[0]!.max);
}

async function expectThreadStillWorks(stream: SseClient, sessionId: string): Promise<void> {
  const res = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${sessionId}/messages`, {
    text: 'scn:text',
  });
  expect(res.status).toBe(202);
  await stream.waitFor(
    (c) =>
      c.events.some(
        (e) =>
          e.turnId === res.body.turn.id &&
          e.type === 'runtime.turn.completed' &&
          (e.data.params as { turn: { status: string } }).turn.status === 'completed',
      ),
    30_000,
    'a completed turn after the restart',
  );
}

const interruptedEvent = (events: EventEnvelope[], turnId: string) =>
  events.find((e) => e.type === 'turn.interrupted' && e.turnId === turnId);

describe('runtime faults lose nothing', () => {
  it('kill -9 of the runtime-bridge mid-turn: restarted, turn interrupted, log consistent, thread usable', async () => {
    const session = (await stack.api<{ session: { id: string } }>('POST', '/api/sessions', {})).body.session
      .id;
    const stream = new SseClient(`${stack.url}/api/stream?threads=${session}&after=0`);
    try {
      const turnId = await slowTurnStreaming(stream, session);
      const before = await health();
      const bridgePid = before.services['runtime-bridge']!.instances[0]!.pid;
      const appServerPid = before.runtime.pid;
      process.kill(bridgePid, 'SIGKILL');

      await stream.waitFor(
        (c) => interruptedEvent(c.events, turnId) !== undefined,
        45_000,
        'turn.interrupted',
      );
      const detail = await stack.api<{ turns: { id: string; status: string }[] }>(
        'GET',
        `/api/sessions/${session}`,
      );
      expect(detail.body.turns.find((t) => t.id === turnId)?.status).toBe('interrupted');
      // The orphaned app-server sees its stdin close and exits: nothing is left running.
      await until('old app-server to exit', async () => !alive(appServerPid), 15_000);
      const after = await until('ready again', async () => {
        const h = await health();
        return (
          h.status === 'ready' &&
          h.services['runtime-bridge']!.instances.some((i) => i.up && i.pid !== bridgePid) &&
          h
        );
      });
      expect(after.runtime.pid).not.toBe(appServerPid);
      await expectLogConsistent();
      await expectThreadStillWorks(stream, session);
      // No event of the interrupted turn is duplicated.
      const seqs = stream.events.map((e) => e.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      await stream.close();
    }
  });

  it('kill -9 of app-server mid-turn: the bridge restarts it, interrupts the turn, resumes the thread', async () => {
    const session = (await stack.api<{ session: { id: string } }>('POST', '/api/sessions', {})).body.session
      .id;
    const stream = new SseClient(`${stack.url}/api/stream?threads=${session}&after=0`);
    try {
      const turnId = await slowTurnStreaming(stream, session);
      const before = await health();
      process.kill(before.runtime.pid, 'SIGKILL');

      await stream.waitFor(
        (c) => interruptedEvent(c.events, turnId) !== undefined,
        30_000,
        'turn.interrupted',
      );
      expect(interruptedEvent(stream.events, turnId)!.data).toMatchObject({ signal: 'SIGKILL' });
      const after = await until('runtime ready again', async () => {
        const h = await health();
        return h.runtime.state === 'ready' && h.runtime.pid !== before.runtime.pid && h;
      });
      expect(after.runtime.restarts).toBe(before.runtime.restarts + 1);
      await expectLogConsistent();
      await expectThreadStillWorks(stream, session);
    } finally {
      await stream.close();
    }
  });
});
