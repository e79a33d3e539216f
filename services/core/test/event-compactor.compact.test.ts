import fs from 'node:fs';
import path from 'node:path';
import {
  CursorExpiredError,
  DELTA_EVENT_TYPES,
  EventCompactor,
  EventLog,
  createLogger,
  type NewEvent,
} from '../src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

// The machine is shared and slow: generous time, never a timed assertion.
jest.setTimeout(60_000);

let db: TestDatabase;
let log: EventLog;
const logger = createLogger('test', 'silent');

beforeAll(async () => {
  db = await createTestDatabase('compactor');
  log = new EventLog(db.pool);
  await db.pool.query(`INSERT INTO sessions (id) VALUES ('s1')`);
  await db.pool.query(
    `INSERT INTO turns (id, session_id, status) VALUES ('done', 's1', 'completed'), ('running', 's1', 'inProgress')`,
  );
});
afterAll(async () => {
  await db.drop();
});

const delta = (turnId: string, text: string): NewEvent => ({
  type: 'runtime.item.agentMessage.delta',
  threadId: 's1',
  turnId,
  itemId: `msg-${turnId}`,
  source: 'test',
  data: {
    method: 'item/agentMessage/delta',
    params: { threadId: 's1', turnId, itemId: `msg-${turnId}`, delta: text },
  },
});
const other = (type: string, turnId: string): NewEvent => ({
  type,
  threadId: 's1',
  turnId,
  source: 'test',
  data: {},
});
const seqsOf = async () =>
  (
    await db.pool.query<{ seq: number; type: string; turn_id: string }>(
      'SELECT seq, type, turn_id FROM events ORDER BY seq',
    )
  ).rows;

describe('EventCompactor', () => {
  it('keeps the compaction index predicate identical to DELTA_EVENT_TYPES', () => {
    const sql = fs.readFileSync(path.join(__dirname, '../migrations/004_event_retention.sql'), 'utf8');
    const listed = [...sql.matchAll(/'(runtime\.[^']+)'/g)].map((m) => m[1]);
    expect(listed).toEqual([...DELTA_EVENT_TYPES]);
  });

  it('deletes old deltas of finished turns only, raises the mark, and expires cursors below it', async () => {
    await log.append([
      other('runtime.item.started', 'done'),
      delta('done', 'He'),
      delta('running', 'wait'),
      delta('done', 'llo'),
      other('runtime.item.completed', 'done'),
      other('runtime.turn.completed', 'done'),
      delta('running', 'ing'),
    ]);
    const oldHead = (await log.state()).head;
    await db.pool.query(`UPDATE events SET ts = now() - interval '2 hours'`);
    // Recent deltas of a finished turn are younger than the retention: they stay.
    await log.append([delta('done', ' again'), other('runtime.item.completed', 'done')]);

    const compactor = new EventCompactor(db.pool, { retentionMs: 3_600_000 }, logger);
    const r = await compactor.compactOnce();
    expect(r).toEqual({ deleted: 2, compactedBelow: 4, ran: true });
    const left = await seqsOf();
    expect(left.map((e) => e.seq)).toEqual([1, 3, 5, 6, 7, 8, 9]);
    expect(left.filter((e) => e.turn_id === 'running').map((e) => e.seq)).toEqual([3, 7]);
    expect(oldHead).toBe(7);

    await expect(log.read(3)).rejects.toBeInstanceOf(CursorExpiredError);
    await expect(log.read(0)).rejects.toMatchObject({
      code: 'cursor_expired',
      details: { cursor: 0, compactedBelow: 4, head: 9 },
    });
    // From the mark on the log has no hole.
    const { events } = await log.read(4);
    expect(events.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9]);

    // Once the running turn is over, its old deltas go too; the mark only ever rises.
    await db.pool.query(`UPDATE turns SET status = 'interrupted' WHERE id = 'running'`);
    expect(await compactor.compactOnce()).toEqual({ deleted: 2, compactedBelow: 7, ran: true });
    expect((await seqsOf()).map((e) => e.seq)).toEqual([1, 5, 6, 8, 9]);
    expect(await compactor.compactOnce()).toEqual({ deleted: 0, compactedBelow: 7, ran: true });
  });

  it('works in batches and yields to another process holding the compaction lock', async () => {
    const start = (await log.state()).head;
    await log.append(Array.from({ length: 25 }, (_, i) => delta('done', String(i))));
    await db.pool.query(`UPDATE events SET ts = now() - interval '2 hours' WHERE seq > $1`, [start]);
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(727100004)');
      const blocked = new EventCompactor(db.pool, { retentionMs: 3_600_000, batchSize: 10 }, logger);
      expect(await blocked.compactOnce()).toMatchObject({ deleted: 0, ran: false });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const c = new EventCompactor(db.pool, { retentionMs: 3_600_000, batchSize: 10 }, logger);
    expect(await c.compactOnce()).toEqual({ deleted: 25, compactedBelow: start + 25, ran: true });
  });

  it('never runs when the retention is 0, and runs on its interval otherwise', async () => {
    const start = (await log.state()).head;
    await log.append([delta('done', 'x'), delta('done', 'y')]);
    await db.pool.query(`UPDATE events SET ts = now() - interval '2 days' WHERE seq > $1`, [start]);
    const count = async () =>
      (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE seq > $1', [start]))
        .rows[0]!.n;
    const off = new EventCompactor(db.pool, { retentionMs: 0, intervalMs: 10 }, logger);
    off.start();
    await new Promise((r) => setTimeout(r, 200));
    await off.stop();
    expect(await count()).toBe(2);
    const on = new EventCompactor(db.pool, { retentionMs: 86_400_000, intervalMs: 10 }, logger);
    on.start();
    const deadline = Date.now() + 20_000;
    while ((await count()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await on.stop();
    expect(await count()).toBe(0);
  });
});
