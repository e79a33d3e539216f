import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPinia, setActivePinia } from 'pinia';
import type { InboxItem, StreamEvent } from '../api/types';
import { flush, fakeWorld, type FakeWorld } from '../../test/fakes';
import { inboxItem, page } from '../../test/inbox-fixtures';
import { useConnectionStore } from './connection.store';
import { INBOX_KINDS, useInboxStore } from './inbox.store';

let world: FakeWorld;
let seq = 100;
beforeEach(() => {
  world = fakeWorld();
  setActivePinia(createPinia());
});

const added = (item: InboxItem): StreamEvent => ({
  seq: ++seq,
  ts: '2026-01-01T00:00:01Z',
  type: 'inbox.added',
  threadId: item.sessionId ?? undefined,
  source: 'gateway',
  data: { item: { ...item, seq } },
});
const removed = (item: InboxItem, reason = 'resolved'): StreamEvent => ({
  seq: ++seq,
  ts: '2026-01-01T00:00:02Z',
  type: 'inbox.removed',
  threadId: item.sessionId ?? undefined,
  source: 'gateway',
  data: { id: item.id, kind: item.kind, reason, actor: 'bob', source: 'cli' },
});

function live() {
  const c = useConnectionStore();
  const store = useInboxStore();
  c.connect();
  world.main().serverConnect({ head: 0, cursor: 0 });
  return store;
}

describe('the inbox store', () => {
  it('knows every inbox kind of the API document (docs/openapi.json), in its order', () => {
    const doc = JSON.parse(readFileSync(path.resolve(__dirname, '../../../docs/openapi.json'), 'utf8'));
    const kinds = doc.paths['/api/inbox'].get.responses['200'].content['application/json'].schema.properties
      .items.items.properties.kind.enum as string[];
    expect(INBOX_KINDS).toEqual(kinds);
  });

  it('reads the first page and the counts, newest first', async () => {
    const a = inboxItem({ id: 'request:a', seq: 5 });
    const b = inboxItem({
      id: 'job:b',
      kind: 'failedJob',
      seq: 9,
      requestId: null,
      jobId: 'b',
      actions: ['retry', 'dismiss'],
    });
    world.routes.set('GET /api/inbox', page([a, b], 7, { approval: 6, failedJob: 1 }));
    const store = live();
    await store.load();
    expect(store.items.map((i) => i.id)).toEqual(['job:b', 'request:a']);
    expect(store.counts).toEqual({ total: 7, byKind: { approval: 6, failedJob: 1 } });
    expect(world.calls[0]!.url).toBe('/api/inbox?limit=50');
  });

  it('adds and removes items from stream events, counting each once', async () => {
    world.routes.set('GET /api/inbox', page([], 0));
    const store = live();
    await store.load();
    const item = inboxItem();
    world.main().serverEvents([added(item)]);
    expect(store.items.map((i) => i.id)).toEqual(['request:r1']);
    expect(store.counts.total).toBe(1);
    expect(store.counts.byKind.approval).toBe(1);
    // The same item again (a re-read or a replay) is not a second one.
    world.main().serverEvents([added(item)]);
    expect(store.counts.total).toBe(1);
    world.main().serverEvents([removed(item)]);
    expect(store.items).toEqual([]);
    expect(store.counts).toEqual({ total: 0, byKind: { approval: 0 } });
    world.main().serverEvents([removed(item)]);
    expect(store.counts.total).toBe(0);
  });

  it('counts out an item that left although it was beyond the page read', async () => {
    world.routes.set('GET /api/inbox', page([], 60, { approval: 60 }));
    const store = live();
    await store.load();
    world.main().serverEvents([removed(inboxItem({ id: 'request:far' }))]);
    expect(store.counts).toEqual({ total: 59, byKind: { approval: 59 } });
  });

  it('keeps an item that arrived while the page was being read, and re-reads the counts', async () => {
    let answer: (v: unknown) => void = () => undefined;
    const store = live();
    world.routes.set('GET /api/inbox', (_b: unknown, url: string) =>
      url.endsWith('limit=1') ? page([], 1, { approval: 1 }) : new Promise((r) => (answer = r)),
    );
    const loading = store.load();
    const item = inboxItem();
    world.main().serverEvents([added(item)]);
    // The snapshot was taken before the item was added.
    answer(page([], 0));
    await loading;
    await flush();
    expect(store.items.map((i) => i.id)).toEqual(['request:r1']);
    expect(store.counts.total).toBe(1);
    expect(world.calls.map((c) => c.url)).toEqual(['/api/inbox?limit=50', '/api/inbox?limit=1']);
  });

  it('drops an item that left while the page was being read', async () => {
    let answer: (v: unknown) => void = () => undefined;
    const store = live();
    const item = inboxItem();
    world.routes.set('GET /api/inbox', (_b: unknown, url: string) =>
      url.endsWith('limit=1') ? page([], 0) : new Promise((r) => (answer = r)),
    );
    const loading = store.load();
    world.main().serverEvents([removed(item)]);
    answer(page([item], 1, { approval: 1 }));
    await loading;
    await flush();
    expect(store.items).toEqual([]);
    expect(store.counts.total).toBe(0);
  });

  it('decides an approval and lets it go at once; the event that follows changes nothing', async () => {
    const item = inboxItem();
    world.routes.set('GET /api/inbox', page([item], 1, { approval: 1 }));
    world.routes.set('POST /api/approvals/r1/decision', { status: 'resolved', request: {} });
    const store = live();
    await store.load();
    expect(await store.decide(item, 'accept')).toBe(true);
    const post = world.calls.find((c) => c.method === 'POST')!;
    expect(post.body).toEqual({ decision: 'accept' });
    expect(store.items).toEqual([]);
    expect(store.counts.total).toBe(0);
    world.main().serverEvents([removed(item)]);
    expect(store.counts.total).toBe(0);
  });

  it('keeps a job that failed again before the answer to its retry arrived', async () => {
    const job = inboxItem({
      id: 'job:j1',
      kind: 'failedJob',
      seq: 10,
      requestId: null,
      jobId: 'j1',
      title: 'Job title failed',
      actions: ['retry', 'dismiss'],
    });
    world.routes.set('GET /api/inbox', page([job], 1, { failedJob: 1 }));
    let answer: (v: unknown) => void = () => undefined;
    world.routes.set('POST /api/jobs/j1/retry', () => new Promise((r) => (answer = r)));
    const store = live();
    await store.load();
    const retrying = store.retry(job);
    world.main().serverEvents([removed(job, 'retried'), added(job)]);
    answer({ job: { id: 'j1' } });
    await retrying;
    expect(store.items.map((i) => i.id)).toEqual(['job:j1']);
    expect(store.counts.total).toBe(1);
  });

  it('dismisses with the id encoded, and says why when someone else answered first', async () => {
    const turn = inboxItem({
      id: 'turn:s1:t1',
      kind: 'failedTurn',
      requestId: null,
      title: 'Turn failed: boom',
      actions: ['dismiss'],
    });
    const ask = inboxItem({ id: 'request:r2', requestId: 'r2', seq: 11 });
    world.routes.set('GET /api/inbox', page([turn, ask], 2));
    world.routes.set('POST /api/inbox/turn%3As1%3At1/dismiss', { id: turn.id, dismissed: true });
    world.routes.set('POST /api/approvals/r2/decision', [
      409,
      { error: { code: 'conflict', message: 'already declined by bob' } },
    ]);
    const store = live();
    await store.load();
    await store.dismiss(turn);
    expect(store.items.map((i) => i.id)).toEqual(['request:r2']);
    expect(await store.decide(ask, 'accept')).toBe(false);
    expect(store.items).toEqual([]);
    expect(store.notice).toBe('Run: npm test: already declined by bob');
    expect(store.counts.total).toBe(0);
  });

  it('keeps an item and shows the error when an action fails for another reason', async () => {
    const item = inboxItem();
    world.routes.set('GET /api/inbox', page([item], 1));
    world.routes.set('POST /api/approvals/r1/decision', [
      503,
      { error: { code: 'runtime_unavailable', message: 'the runtime is restarting' } },
    ]);
    const store = live();
    await store.load();
    await store.decide(item, 'accept');
    expect(store.items.map((i) => i.id)).toEqual(['request:r1']);
    expect(store.errors['request:r1']).toBe('the runtime is restarting');
    expect(store.busy['request:r1']).toBeUndefined();
  });

  it('filters by kind through the route, while the counts stay for every kind', async () => {
    world.routes.set('GET /api/inbox', page([], 3, { approval: 2, question: 1 }));
    const store = live();
    await store.setKinds(['question', 'approval']);
    expect(world.calls[0]!.url).toBe('/api/inbox?kind=question%2Capproval&limit=50');
    world.main().serverEvents([added(inboxItem({ id: 'job:x', kind: 'failedJob', requestId: null }))]);
    expect(store.items).toEqual([]);
    expect(store.counts.total).toBe(4);
  });
});
