import { EventLog, type NewEvent } from '../src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

// The concurrency case takes ~4.5 s on a loaded 2-core machine: jest's 5 s default is too tight.
jest.setTimeout(60_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('event_log');
});
afterAll(async () => {
  await db.drop();
});

const ev = (writer: number, n: number): NewEvent => ({
  type: 'test.event',
  threadId: `thread-${writer}`,
  source: 'test',
  data: { writer, n },
});

describe('EventLog', () => {
  it('appends a batch with consecutive seqs and reads it back in order', async () => {
    const log = new EventLog(db.pool);
    const before = await log.head();
    const range = await log.append([ev(0, 0), ev(0, 1), ev(0, 2)]);
    expect(range).toEqual({ first: before + 1, last: before + 3 });
    const { events } = await log.read(before);
    expect(events.map((e) => e.data.n)).toEqual([0, 1, 2]);
    expect(events[0]).toMatchObject({
      seq: before + 1,
      type: 'test.event',
      threadId: 'thread-0',
      source: 'test',
    });
  });

  it('never lets a resuming reader skip or repeat an event while 8 connections append concurrently', async () => {
    const log = new EventLog(db.pool);
    const start = await log.head();
    const writers = 8;
    const batchesPerWriter = 60;
    let writing = true;

    // The reader resumes from its last cursor every time, in small pages, the way a stream client does.
    const seen: { seq: number; writer: number; n: number }[] = [];
    const reader = (async () => {
      let cursor = start;
      for (;;) {
        const done = !writing;
        const { events, lastSeq } = await log.read(cursor, { limit: 37 });
        for (const e of events)
          seen.push({ seq: e.seq, writer: e.data.writer as number, n: e.data.n as number });
        cursor = lastSeq;
        if (done && events.length === 0) return;
      }
    })();

    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        let n = 0;
        for (let b = 0; b < batchesPerWriter; b++) {
          const size = 1 + ((w * 7 + b * 13) % 5);
          const batch = Array.from({ length: size }, () => ev(w, n++));
          // Each writer appends on its own connection, inside a transaction that stays open a little,
          // so commits genuinely interleave with other writers' seq assignment.
          const client = await db.pool.connect();
          try {
            await client.query('BEGIN');
            await log.append(batch, client);
            if (b % 3 === 0) await client.query('SELECT pg_sleep(0.002)');
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        }
        return n;
      }),
    );
    writing = false;
    await reader;

    const total = seen.length;
    expect(total).toBeGreaterThan(writers * batchesPerWriter);
    // Exactly once and in order: seqs are start+1 .. start+total with no gap and no repeat.
    expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: total }, (_, i) => start + 1 + i));
    // Each writer's events arrive in the order that writer appended them.
    for (let w = 0; w < writers; w++) {
      const ns = seen.filter((s) => s.writer === w).map((s) => s.n);
      expect(ns).toEqual(Array.from({ length: ns.length }, (_, i) => i));
    }
    expect(await log.head()).toBe(start + total);
  });

  it('a rolled-back append leaves no gap: the next append reuses the seq', async () => {
    const log = new EventLog(db.pool);
    const head = await log.head();
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await log.append([ev(9, 0)], client);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const range = await log.append([ev(9, 1)]);
    expect(range?.first).toBe(head + 1);
  });

  it('filters by thread and type prefix while reporting how far it looked', async () => {
    const log = new EventLog(db.pool);
    const head = await log.head();
    await log.append([
      { type: 'runtime.item.started', threadId: 'a', source: 'test', data: {} },
      { type: 'turn.interrupted', threadId: 'b', source: 'test', data: {} },
      { type: 'runtime.item.completed', threadId: 'b', source: 'test', data: {} },
    ]);
    const r = await log.read(head, {
      filter: { threadIds: ['b'], typePrefixes: ['runtime.'] },
      upTo: head + 3,
    });
    expect(r.events.map((e) => e.type)).toEqual(['runtime.item.completed']);
    expect(r.lastSeq).toBe(head + 3);
  });

  it('filters types in the database: past the last match, lastSeq is the head it read in', async () => {
    const log = new EventLog(db.pool);
    const head = await log.head();
    await log.append([
      { type: 'request.created', source: 'test', data: {} },
      { type: 'runtime.item.agentMessage.delta', source: 'test', data: {} },
      { type: 'request_created', source: 'test', data: {} },
      { type: 'runtime.item.agentMessage.delta', source: 'test', data: {} },
    ]);
    const r = await log.read(head, { filter: { typePrefixes: ['request.created'] } });
    expect(r.events.map((e) => e.seq)).toEqual([head + 1]);
    expect(r.lastSeq).toBe(head + 4);
    // `_` and `%` are matched as themselves, not as LIKE wildcards.
    const odd = await log.read(head, { filter: { typePrefixes: ['request_', '%'] } });
    expect(odd.events.map((e) => e.type)).toEqual(['request_created']);
    // With the limit reached, lastSeq stops at the last event returned.
    const limited = await log.read(head, { limit: 1, filter: { typePrefixes: ['runtime.'] } });
    expect(limited.events.map((e) => e.seq)).toEqual([head + 2]);
    expect(limited.lastSeq).toBe(head + 2);
  });
});
