import { createPinia, setActivePinia } from 'pinia';
import type { SessionDetail, StreamEvent } from '../api/types';
import { fakeWorld, flush, type FakeWorld } from '../../test/fakes';
import { useChatStore } from './chat.store';
import { useConnectionStore } from './connection.store';

let world: FakeWorld;
let seq = 100;
const session = (id: string, status = 'idle') => ({
  id,
  title: `chat ${id}`,
  cwd: '/w',
  model: 'mock-model',
  status,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
});
const delta = (thread: string, turnId: string, text: string, s = ++seq): StreamEvent => ({
  seq: s,
  ts: '',
  type: 'runtime.item.agentMessage.delta',
  threadId: thread,
  turnId,
  source: 'runtime-bridge',
  data: {
    method: 'item/agentMessage/delta',
    params: { threadId: thread, turnId, itemId: `a-${turnId}`, delta: text },
  },
});
const started = (thread: string, turnId: string, s = ++seq): StreamEvent => ({
  seq: s,
  ts: '',
  type: 'runtime.item.started',
  threadId: thread,
  turnId,
  source: 'runtime-bridge',
  data: {
    method: 'item/started',
    params: { threadId: thread, turnId, item: { id: `a-${turnId}`, type: 'agentMessage', text: '' } },
  },
});
const detail = (id: string, turns: SessionDetail['turns'] = []): SessionDetail => ({
  session: session(id),
  turns,
  transcript: { complete: true, entries: [] },
});

beforeEach(() => {
  world = fakeWorld();
  setActivePinia(createPinia());
  world.routes.set('GET /api/sessions/a/approvals', { requests: [] });
  world.routes.set('GET /api/sessions/a/tool-input', { requests: [] });
  world.routes.set('GET /api/sessions/b/approvals', { requests: [] });
  world.routes.set('GET /api/sessions/b/tool-input', { requests: [] });
});

function connected(head = 100): ReturnType<typeof useConnectionStore> {
  const c = useConnectionStore();
  c.connect();
  world.main().serverConnect({ head, cursor: head });
  return c;
}

describe('the chat store', () => {
  it('opens a chat from history, then streams its live events', async () => {
    connected();
    world.routes.set('GET /api/sessions/a', detail('a'));
    const chat = useChatStore();
    await chat.open('a');
    expect(chat.phase).toBe('ready');
    expect(chat.session?.title).toBe('chat a');
    world.main().serverEvents([started('a', 't1'), delta('a', 't1', 'Hel'), delta('a', 't1', 'lo')]);
    expect(chat.transcript.items['a-t1']!.text).toBe('Hello');
  });

  it('never applies another chat’s events, even ones that arrive while switching', async () => {
    connected();
    let releaseA: (v: unknown) => void = () => undefined;
    world.routes.set('GET /api/sessions/a', () => new Promise((r) => (releaseA = r)));
    world.routes.set('GET /api/sessions/b', detail('b'));
    const chat = useChatStore();
    const openingA = chat.open('a');
    await flush();
    const openingB = chat.open('b');
    releaseA(detail('a', [{ id: 'ta', status: 'completed', error: null, startedAt: '', completedAt: '' }]));
    await Promise.all([openingA, openingB]);
    expect(chat.sessionId).toBe('b');
    expect(chat.session?.id).toBe('b');
    expect(chat.turns).toEqual([]);
    world
      .main()
      .serverEvents([
        started('a', 'x'),
        delta('a', 'x', 'not mine'),
        started('b', 'y'),
        delta('b', 'y', 'mine'),
      ]);
    expect(Object.keys(chat.transcript.items)).toEqual(['a-y']);
    expect(chat.transcript.items['a-y']!.text).toBe('mine');
  });

  it('opened mid-turn (a reload), shows the part streamed before it connected, then the rest, once', async () => {
    const c = connected(200);
    world.routes.set(
      'GET /api/sessions/a',
      detail('a', [{ id: 't1', status: 'inProgress', error: null, startedAt: '', completedAt: null }]),
    );
    const chat = useChatStore();
    const opening = chat.open('a');
    // While history is read, the live stream already delivers two more deltas (seq 201, 202).
    await flush(5);
    world.main().serverEvents([delta('a', 't1', 'tick2 ', 201), delta('a', 't1', 'tick3 ', 202)]);
    await flush();
    const replay = world.sockets[1]!;
    expect(replay.auth()).toEqual({ after: 0 });
    replay.onPing = () => ({ cursor: 202, head: 202, ts: '' });
    replay.fire('connect');
    // The replay covers the turn from its start up to the main stream's position (202).
    replay.serverEvents([
      started('a', 't1', 150),
      delta('a', 't1', 'tick0 ', 151),
      delta('a', 't1', 'tick1 ', 160),
    ]);
    replay.serverEvents([delta('a', 't1', 'tick2 ', 201), delta('a', 't1', 'tick3 ', 202)]);
    await opening;
    expect(chat.transcript.items['a-t1']!.text).toBe('tick0 tick1 tick2 tick3 ');
    world.main().serverEvents([delta('a', 't1', 'tick4', 203)]);
    expect(chat.transcript.items['a-t1']!.text).toBe('tick0 tick1 tick2 tick3 tick4');
    expect(c.lastSeq).toBe(203);
    expect(chat.state).toBe('streaming');
  });

  it('says gone for a deleted chat', async () => {
    connected();
    world.routes.set('GET /api/sessions/a', [
      410,
      { error: { code: 'gone', message: 'session a was deleted' } },
    ]);
    const chat = useChatStore();
    await chat.open('a');
    expect(chat.phase).toBe('gone');
    expect(chat.error).toBe('session a was deleted');
  });

  it('sends a message with an idempotency key, shows it until the runtime echoes it, and reports failures', async () => {
    connected();
    world.routes.set('GET /api/sessions/a', detail('a'));
    world.routes.set('POST /api/sessions/a/messages', [
      202,
      { sessionId: 'a', turn: { id: 't9', status: 'inProgress' } },
    ]);
    const chat = useChatStore();
    await chat.open('a');
    expect(await chat.send('  hello  ', { plan: true })).toBe(true);
    const call = world.calls.find((x) => x.method === 'POST')!;
    expect(call.body).toEqual({ text: 'hello', collaborationMode: 'plan' });
    expect(chat.pendingText).toBe('hello');
    expect(chat.state).toBe('streaming');
    world.main().serverEvents([
      {
        seq: 500,
        ts: '',
        type: 'runtime.item.started',
        threadId: 'a',
        turnId: 't9',
        source: 'runtime-bridge',
        data: {
          params: {
            turnId: 't9',
            item: { id: 'u1', type: 'userMessage', content: [{ type: 'text', text: 'hello' }] },
          },
        },
      },
    ]);
    expect(chat.pendingText).toBeNull();

    world.routes.set('POST /api/sessions/a/messages', [
      409,
      { error: { code: 'conflict', message: 'a turn is in progress' } },
    ]);
    expect(await chat.send('again')).toBe(false);
    expect(chat.sendError).toBe('a turn is in progress');
  });

  it('interrupts the running turn and shows it interrupted', async () => {
    connected();
    world.routes.set(
      'GET /api/sessions/a',
      detail('a', [{ id: 't1', status: 'completed', error: null, startedAt: '', completedAt: '' }]),
    );
    world.routes.set('POST /api/sessions/a/interrupt', {
      sessionId: 'a',
      turn: { id: 't2', status: 'interrupted' },
    });
    const chat = useChatStore();
    await chat.open('a');
    world.main().serverEvents([started('a', 't2')]);
    expect(chat.current?.id).toBe('t2');
    await chat.interrupt();
    expect(world.calls.at(-1)).toMatchObject({ method: 'POST', body: { turnId: 't2' } });
    expect(chat.state).toBe('interrupted');
  });
});
