import { EventLog, createLogger, type NewEvent } from '@codex-manager/core';
import { EventAppender } from '../src/event-appender';
import { notificationEvent } from '../src/event-mapping';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

jest.setTimeout(60_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('event_appender');
});
afterAll(async () => {
  await db.drop();
});

const delta = (i: number) =>
  notificationEvent('item/agentMessage/delta', {
    threadId: 'th',
    turnId: 'tu',
    itemId: 'm',
    delta: String(i % 10),
  });

async function run(coalesce: boolean) {
  const log = new EventLog(db.pool);
  const start = (await log.state()).head;
  const projected: NewEvent[][] = [];
  const project = (events: NewEvent[]) => {
    projected.push(events);
    return [];
  };
  const appender = new EventAppender(log, project, 2, createLogger('test', 'silent'), { coalesce });
  // A burst as the runtime delivers it: lines arrive in chunks, with other notifications in between.
  for (let i = 0; i < 2000; i++) {
    appender.push(delta(i));
    if (i === 1000)
      appender.push(notificationEvent('item/started', { threadId: 'th', turnId: 'tu', item: { id: 'x' } }));
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  appender.push(
    notificationEvent('turn/completed', { threadId: 'th', turn: { id: 'tu', status: 'completed' } }),
  );
  await appender.drain();
  const { events } = await log.read(start, { limit: 5000 });
  return { events, projected };
}

/** The events after `start` once there are `n` of them (bounded wait). */
async function readUntil(log: EventLog, start: number, n: number) {
  for (let i = 0; i < 500; i++) {
    const { events } = await log.read(start, { limit: 10 });
    if (events.length >= n) return events;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${n} events after 10 s`);
}

describe('EventAppender', () => {
  it('stores a burst coalesced, with the same text and order, and projects every non-delta event once', async () => {
    const { events, projected } = await run(true);
    const deltas = events.filter((e) => e.type === 'runtime.item.agentMessage.delta');
    expect(deltas.length).toBeLessThan(2000);
    expect(deltas.reduce((n, e) => n + ((e.data.coalesced as number | undefined) ?? 1), 0)).toBe(2000);
    const text = Array.from({ length: 2000 }, (_, i) => String(i % 10)).join('');
    expect(deltas.map((e) => (e.data.params as { delta: string }).delta).join('')).toBe(text);
    // The item/started pushed after delta 1000 sits exactly there.
    const before = events.slice(
      0,
      events.findIndex((e) => e.type === 'runtime.item.started'),
    );
    expect(before.reduce((n, e) => n + ((e.data.coalesced as number | undefined) ?? 1), 0)).toBe(1001);
    expect(events.at(-1)!.type).toBe('runtime.turn.completed');
    // Delta-only batches skip the projector; every other event reaches it exactly once.
    const seen = projected.flat();
    expect(seen.filter((e) => !e.type.endsWith('.delta')).map((e) => e.type)).toEqual([
      'runtime.item.started',
      'runtime.turn.completed',
    ]);
    expect(projected.every((b) => b.some((e) => !e.type.endsWith('.delta')))).toBe(true);
  });

  it("lets bookkeeping notifications wait for the next batch, which the turn's end sends at once", async () => {
    const log = new EventLog(db.pool);
    const start = (await log.state()).head;
    // A window no test waits out: the turn's end must not wait for it either.
    const appender = new EventAppender(log, () => [], 60_000, createLogger('test', 'silent'), {
      holdMs: 60_000,
    });
    appender.push(
      notificationEvent('turn/started', { threadId: 'th', turn: { id: 'tu', status: 'inProgress' } }),
    );
    appender.push(notificationEvent('item/started', { threadId: 'th', turnId: 'tu', item: { id: 'i1' } }));
    appender.push(notificationEvent('thread/status/changed', { threadId: 'th', status: { type: 'active' } }));
    await new Promise((r) => setTimeout(r, 300));
    expect((await log.read(start, { limit: 10 })).events).toHaveLength(0);
    appender.push(
      notificationEvent('turn/completed', { threadId: 'th', turn: { id: 'tu', status: 'completed' } }),
    );
    const events = await readUntil(log, start, 4);
    expect(events.map((e) => e.type)).toEqual([
      'runtime.turn.started',
      'runtime.item.started',
      'runtime.thread.status.changed',
      'runtime.turn.completed',
    ]);
    // One append: one statement's timestamp.
    expect(new Set(events.map((e) => e.ts)).size).toBe(1);

    // drain() never waits out a hold (a request's events must follow what came before, now).
    appender.push(notificationEvent('item/completed', { threadId: 'th', turnId: 'tu', item: { id: 'i1' } }));
    await appender.drain();
    expect((await log.read(start, { limit: 10 })).events.at(-1)!.type).toBe('runtime.item.completed');
  });

  it("sends an item's first delta at once and batches the rest in the window", async () => {
    const log = new EventLog(db.pool);
    const start = (await log.state()).head;
    const appender = new EventAppender(log, () => [], 60_000, createLogger('test', 'silent'));
    const text = (itemId: string, d: string) =>
      notificationEvent('item/agentMessage/delta', { threadId: 'th', turnId: 'tu', itemId, delta: d });
    appender.push(text('m1', 'Hel'));
    expect((await readUntil(log, start, 1)).map((e) => e.data.params)).toMatchObject([{ delta: 'Hel' }]);
    appender.push(text('m1', 'lo'));
    await new Promise((r) => setTimeout(r, 300));
    expect((await log.read(start, { limit: 10 })).events).toHaveLength(1);
    appender.push(text('m2', 'Next')); // another item's first delta takes the waiting one along
    const events = await readUntil(log, start, 3);
    expect(events.map((e) => (e.data.params as { delta: string }).delta)).toEqual(['Hel', 'lo', 'Next']);
  });

  it('stores one event per notification with coalescing off', async () => {
    const { events } = await run(false);
    expect(events.filter((e) => e.type === 'runtime.item.agentMessage.delta')).toHaveLength(2000);
    expect(events.every((e) => !('coalesced' in e.data))).toBe(true);
  });
});
