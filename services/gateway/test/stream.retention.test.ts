import { EventCompactor, EventLog, createLogger, type NewEvent } from '@codex-manager/core';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { SocketStreamClient } from '../../../test/helpers/socket';
import { SseClient } from '../../../test/helpers/sse';
import { startGateway, type InProcessGateway } from './harness';

let db: TestDatabase;
let gw: InProcessGateway;
let mark: number;
let head: number;

beforeAll(async () => {
  db = await createTestDatabase('stream_retention');
  gw = await startGateway(db);
  const log = new EventLog(db.pool);
  await db.pool.query(`INSERT INTO sessions (id) VALUES ('s1')`);
  await db.pool.query(`INSERT INTO turns (id, session_id, status) VALUES ('t1', 's1', 'completed')`);
  const e = (type: string, n: number): NewEvent => ({
    type,
    threadId: 's1',
    turnId: 't1',
    source: 'test',
    data: { n },
  });
  await log.append([
    e('runtime.item.started', 1),
    e('runtime.item.agentMessage.delta', 2),
    e('runtime.item.agentMessage.delta', 3),
    e('runtime.item.completed', 4),
  ]);
  await db.pool.query(`UPDATE events SET ts = now() - interval '10 days'`);
  await log.append([e('runtime.turn.completed', 5), e('session.updated', 6)]);
  const r = await new EventCompactor(
    db.pool,
    { retentionMs: 86_400_000 },
    createLogger('test', 'silent'),
  ).compactOnce();
  mark = r.compactedBelow;
  head = (await log.state()).head;
  expect(r.deleted).toBe(2);
});
afterAll(async () => {
  await gw.stop();
  await db.drop();
});

describe('a cursor older than the retention', () => {
  it('gets a cursor_expired frame on SSE telling the client to re-read state and where to resume', async () => {
    const sse = new SseClient(`${gw.url}/api/stream`, { 'last-event-id': String(mark - 1) });
    try {
      await sse.waitFor((c) => c.frames.length > 0, 10_000, 'a frame');
      expect(sse.status).toBe(200);
      expect(sse.frames).toEqual([
        {
          event: 'error',
          data: {
            code: 'cursor_expired',
            message: expect.stringMatching(/re-read state/),
            resumeFrom: mark - 1,
            compactedBelow: mark,
            head,
          },
        },
      ]);
    } finally {
      await sse.close();
    }
  });

  it('gets the same frame on socket.io, then a server disconnect', async () => {
    const c = new SocketStreamClient(gw.url, { after: 0, subscribe: {} });
    try {
      await c.waitFor((x) => x.framesNamed('disconnect').length > 0, 10_000, 'disconnect');
      expect(c.framesNamed('error')).toEqual([
        expect.objectContaining({ code: 'cursor_expired', compactedBelow: mark, head, resumeFrom: 0 }),
      ]);
      expect(c.framesNamed('disconnect')).toEqual(['io server disconnect']);
      expect(c.framesNamed('ready')).toEqual([]);
      expect(c.events).toEqual([]);
    } finally {
      c.close();
    }
  });

  it('is not expired at the mark itself: from there the stream has no hole', async () => {
    const c = new SocketStreamClient(gw.url, { after: mark, subscribe: {} });
    const sse = new SseClient(`${gw.url}/api/stream?after=${mark}`);
    try {
      await c.waitFor((x) => x.lastSeq === head, 10_000, 'socket events');
      await sse.waitFor((x) => x.events.at(-1)?.seq === head, 10_000, 'sse events');
      const expected = Array.from({ length: head - mark }, (_, i) => mark + 1 + i);
      expect(c.events.map((e) => e.seq)).toEqual(expected);
      expect(sse.events.map((e) => e.seq)).toEqual(expected);
      expect(c.events.map((e) => e.data.n)).toEqual([4, 5, 6]);
    } finally {
      c.close();
      await sse.close();
    }
  });
});
