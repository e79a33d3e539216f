import { createPinia, setActivePinia } from 'pinia';
import type { InteractiveRequest } from '../api/types';
import { fakeWorld, type FakeWorld } from '../../test/fakes';
import { useConnectionStore } from './connection.store';
import { useRequestsStore } from './requests.store';

let world: FakeWorld;
beforeEach(() => {
  world = fakeWorld();
  setActivePinia(createPinia());
});

const approval = (over: Partial<InteractiveRequest> = {}): InteractiveRequest => ({
  id: 'r1',
  kind: 'commandApproval',
  method: 'item/commandExecution/requestApproval',
  sessionId: 's1',
  turnId: 't1',
  itemId: 'c1',
  status: 'pending',
  params: { command: 'echo hi > out.txt' },
  decisions: ['accept', 'decline', 'cancel'],
  decision: null,
  resolvedBy: null,
  resolvedAt: null,
  createdAt: '2026-01-01T00:00:00Z',
  ...over,
});

describe('the requests store', () => {
  it('follows request.created and request.resolved events, with who resolved it', () => {
    const c = useConnectionStore();
    const store = useRequestsStore();
    c.connect();
    world.main().serverConnect({ head: 0, cursor: 0 });
    world.main().serverEvents([
      {
        seq: 1,
        ts: '2026-01-01T00:00:01Z',
        type: 'request.created',
        threadId: 's1',
        turnId: 't1',
        itemId: 'c1',
        source: 'runtime-bridge',
        data: {
          requestId: 'r1',
          kind: 'commandApproval',
          method: 'm',
          params: { command: 'ls' },
          decisions: ['accept'],
        },
      },
    ]);
    expect(store.forSession('s1')).toEqual([
      expect.objectContaining({ id: 'r1', status: 'pending', itemId: 'c1' }),
    ]);
    world.main().serverEvents([
      {
        seq: 2,
        ts: '2026-01-01T00:00:02Z',
        type: 'request.resolved',
        threadId: 's1',
        source: 'gateway',
        data: {
          requestId: 'r1',
          kind: 'commandApproval',
          decision: 'accept',
          resolvedBy: { actor: 'alice', source: 'cli' },
        },
      },
    ]);
    expect(store.byId.r1).toMatchObject({
      status: 'resolved',
      decision: 'accept',
      resolvedBy: { actor: 'alice', source: 'cli' },
    });
    expect(store.forSession('s2')).toEqual([]);
  });

  it('does not let a list read that started before a decision undo it', async () => {
    const store = useRequestsStore();
    store.upsert(approval({ status: 'resolved', decision: 'accept' }));
    world.routes.set('GET /api/sessions/s1/approvals', { requests: [approval()] });
    world.routes.set('GET /api/sessions/s1/tool-input', { requests: [] });
    await store.load('s1');
    expect(store.byId.r1!.status).toBe('resolved');
  });

  it('sends one decision however often the card is clicked, keyed for idempotency', async () => {
    const store = useRequestsStore();
    store.upsert(approval());
    let answer: (v: unknown) => void = () => undefined;
    world.routes.set('POST /api/approvals/r1/decision', () => new Promise((r) => (answer = r)));
    const first = store.decide('r1', 'accept');
    const second = store.decide('r1', 'accept');
    expect(store.submitting.r1).toBe(true);
    answer({
      status: 'resolved',
      request: approval({
        status: 'resolved',
        decision: 'accept',
        resolvedBy: { actor: 'web', source: 'web' },
      }),
    });
    await Promise.all([first, second]);
    const posts = world.calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toEqual({ decision: 'accept' });
    expect(store.byId.r1).toMatchObject({ status: 'resolved', resolvedBy: { actor: 'web' } });
    expect(store.submitting.r1).toBe(false);
  });

  it('shows the conflict and re-reads the truth when someone else decided first', async () => {
    const store = useRequestsStore();
    store.upsert(approval());
    world.routes.set('POST /api/approvals/r1/decision', [
      409,
      { error: { code: 'conflict', message: 'already declined by bob' } },
    ]);
    world.routes.set('GET /api/sessions/s1/approvals', {
      requests: [
        approval({ status: 'resolved', decision: 'decline', resolvedBy: { actor: 'bob', source: 'cli' } }),
      ],
    });
    world.routes.set('GET /api/sessions/s1/tool-input', { requests: [] });
    await store.decide('r1', 'accept');
    expect(store.errors.r1).toBe('already declined by bob');
    expect(store.byId.r1).toMatchObject({ status: 'resolved', decision: 'decline' });
  });
});
