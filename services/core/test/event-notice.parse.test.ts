import pg from 'pg';
import { EVENTS_CHANNEL, EventLog, noticeSkips, parseEventNotice } from '../src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

jest.setTimeout(60_000);

describe('event notices', () => {
  it('parses the range and types, and refuses what is not a notice', () => {
    expect(parseEventNotice('12 10 a.b,c.d')).toEqual({ first: 10, last: 12, types: ['a.b', 'c.d'] });
    expect(parseEventNotice('12 10 *')).toEqual({ first: 10, last: 12, types: null });
    expect(parseEventNotice('12')).toEqual({ first: 12, last: 12, types: null });
    for (const bad of ['', 'x', '10 12 a', '0 0 a', '-1 -1 a']) expect(parseEventNotice(bad)).toBeNull();
  });

  it('skips a range only when it follows the position and holds nothing wanted', () => {
    const n = parseEventNotice('12 10 runtime.item.agentMessage.delta,runtime.item.started')!;
    expect(noticeSkips(n, 9, ['request.', 'runtime.turn.completed'])).toBe(true);
    expect(noticeSkips(n, 11, ['request.'])).toBe(true);
    expect(noticeSkips(n, 12, undefined)).toBe(true); // already read
    expect(noticeSkips(n, 8, ['request.'])).toBe(false); // seq 9 is unknown
    expect(noticeSkips(n, 9, ['runtime.item.'])).toBe(false); // wanted
    expect(noticeSkips(n, 9, undefined)).toBe(false); // wants everything
    expect(noticeSkips(parseEventNotice('12 10 *')!, 9, ['request.'])).toBe(false); // types unknown
  });
});

describe('the NOTIFY of an append', () => {
  let db: TestDatabase;
  let listener: pg.Client;
  const payloads: string[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('event_notice');
    listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (n) => payloads.push(n.payload ?? ''));
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
  });
  afterAll(async () => {
    await listener.end();
    await db.drop();
  });

  const next = async () => {
    for (let i = 0; i < 100 && payloads.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    return payloads.shift();
  };

  it('names the committed range and its distinct types, and carries the rows exactly as a read returns them', async () => {
    const log = new EventLog(db.pool);
    const range = await log.append([
      { type: 'b.two', threadId: 't1', source: 'test', data: { n: 1, nested: { z: [1, 'x'] } } },
      { type: 'a.one', source: 'test', data: {}, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) },
      { type: 'b.two', threadId: 't1', turnId: 'u', itemId: 'i', source: 'test', data: { text: 'é ✓' } },
    ]);
    const notice = parseEventNotice((await next())!);
    expect(notice).toMatchObject({ first: range!.first, last: range!.last, types: ['a.one', 'b.two'] });
    const { events } = await log.read(range!.first - 1, { upTo: range!.last });
    expect(notice!.events).toEqual(events);
    // Timestamps agree to the millisecond over many appends (both paths parse the same text).
    for (let i = 0; i < 40; i++) {
      const r = await log.append([{ type: 'c.three', source: 'test', data: { i } }]);
      const n = parseEventNotice((await next())!);
      expect(n!.events).toEqual((await log.read(r!.first - 1, { upTo: r!.last })).events);
    }
  });

  it('leaves the rows out when they would not fit, so listeners read them', async () => {
    const log = new EventLog(db.pool);
    const big = await log.append([{ type: 'd.big', source: 'test', data: { text: 'x'.repeat(5000) } }]);
    expect(parseEventNotice((await next())!)).toEqual({
      first: big!.first,
      last: big!.last,
      types: ['d.big'],
    });
    const many = await log.append(
      Array.from({ length: 120 }, (_, i) => ({
        type: 'e.many',
        threadId: `thread-${i}`,
        source: 'test',
        data: { i },
      })),
    );
    const n = parseEventNotice((await next())!);
    expect(n).toEqual({ first: many!.first, last: many!.last, types: ['e.many'] });
  });

  it('says `*` when a type could not be told apart in the list', async () => {
    const range = await new EventLog(db.pool).append([{ type: 'odd type', source: 'test', data: {} }]);
    expect(parseEventNotice((await next())!)).toMatchObject({
      first: range!.first,
      last: range!.last,
      types: null,
    });
  });
});
