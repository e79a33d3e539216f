import { EventLog, type EventEnvelope, type NewEvent } from '@codex-manager/core';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { SocketStreamClient } from '../../../test/helpers/socket';
import { SseClient } from '../../../test/helpers/sse';
import { startGateway, type InProcessGateway } from './harness';

// Invariant 2 at the edge: clients of two gateways on one database, dropped again and again while
// four connections append 5,000 events concurrently, each end up with every event exactly once.
jest.setTimeout(180_000);

let db: TestDatabase;
let gwA: InProcessGateway;
let gwB: InProcessGateway;

beforeAll(async () => {
  db = await createTestDatabase('stream_resume');
  gwA = await startGateway(db);
  gwB = await startGateway(db);
});
afterAll(async () => {
  await gwA.stop();
  await gwB.stop();
  await db.drop();
});

const TOTAL = 5000;
const WRITERS = 4;

/** Appends TOTAL events from WRITERS connections, in small transactions that genuinely interleave. */
async function writeConcurrently(log: EventLog): Promise<void> {
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      let n = 0;
      let b = 0;
      while (n < TOTAL / WRITERS) {
        const size = Math.min(1 + ((w * 7 + b * 13) % 6), TOTAL / WRITERS - n);
        const batch: NewEvent[] = Array.from({ length: size }, () => ({
          type: n % 3 === 0 ? 'runtime.item.agentMessage.delta' : 'runtime.item.started',
          threadId: `t${(w + n) % 4}`,
          source: 'test',
          data: { writer: w, n: n++, pad: 'x'.repeat(50 + ((n * 31) % 400)) },
        }));
        const client = await db.pool.connect();
        try {
          await client.query('BEGIN');
          await log.append(batch, client);
          if (b % 4 === 0) await client.query('SELECT pg_sleep(0.002)');
          await client.query('COMMIT');
        } finally {
          client.release();
        }
        b++;
      }
    }),
  );
}

/** Drops the connection each time another `every` events have arrived (mid-burst, by construction). */
function dropEvery(c: SocketStreamClient, every: number): void {
  let next = every;
  c.socket.on('events', () => {
    if (c.events.length >= next) {
      next += every;
      c.dropConnection();
    }
  });
}

/** An SSE reader that hangs up after every `every` events and comes back with Last-Event-ID. */
async function sseWithReconnects(
  url: string,
  start: number,
  end: () => number | null,
  every: number,
): Promise<{ events: EventEnvelope[]; connections: number }> {
  const events: EventEnvelope[] = [];
  let last = start;
  let connections = 0;
  for (;;) {
    const target = end();
    if (target !== null && last >= target) return { events, connections };
    connections++;
    const c = new SseClient(`${url}/api/stream`, { 'last-event-id': String(last) });
    try {
      await c.waitFor(
        (x) => x.events.length >= every || (end() !== null && (x.events.at(-1)?.seq ?? last) >= end()!),
        60_000,
        'sse batch',
      );
    } finally {
      await c.close();
    }
    events.push(...c.events);
    last = c.events.at(-1)?.seq ?? last;
  }
}

describe('resume under concurrent writers and reconnects', () => {
  it('gives every client every event exactly once, in order, on both gateways', async () => {
    const log = new EventLog(db.pool);
    const start = (await log.state()).head;
    const a = new SocketStreamClient(gwA.url, { after: start, subscribe: {} });
    const b = new SocketStreamClient(gwB.url, { after: start, subscribe: {} });
    const t1 = new SocketStreamClient(gwA.url, { after: start, subscribe: { threads: ['t1'] } });
    dropEvery(a, 700);
    dropEvery(b, 1100);
    dropEvery(t1, 300);
    let finalHead: number | null = null;
    const sse = sseWithReconnects(gwB.url, start, () => finalHead, 900);
    try {
      await writeConcurrently(log);
      finalHead = (await log.state()).head;
      expect(finalHead).toBe(start + TOTAL);
      const all = (await log.read(start, { limit: TOTAL + 1 })).events;
      const expected = all.map((e) => e.seq);
      expect(expected).toEqual(Array.from({ length: TOTAL }, (_, i) => start + 1 + i));

      await a.waitFor((c) => c.lastSeq === finalHead, 120_000, 'client A caught up');
      await b.waitFor((c) => c.lastSeq === finalHead, 120_000, 'client B caught up');
      const t1Expected = all.filter((e) => e.threadId === 't1');
      await t1.waitFor((c) => c.lastSeq === t1Expected.at(-1)!.seq, 120_000, 'thread client caught up');
      const viaSse = await sse;

      expect(a.events.map((e) => e.seq)).toEqual(expected);
      expect(b.events.map((e) => e.seq)).toEqual(expected);
      expect(viaSse.events.map((e) => e.seq)).toEqual(expected);
      expect(t1.events.map((e) => e.seq)).toEqual(t1Expected.map((e) => e.seq));
      // Identical streams from two gateways, identical to the log itself.
      expect(a.events).toEqual(all);
      expect(b.events).toEqual(all);
      expect(viaSse.events).toEqual(all);
      // And the drops really happened mid-stream.
      expect(a.connects).toBeGreaterThanOrEqual(TOTAL / 700);
      expect(b.connects).toBeGreaterThanOrEqual(TOTAL / 1100);
      expect(t1.connects).toBeGreaterThanOrEqual(3);
      expect(viaSse.connections).toBeGreaterThanOrEqual(TOTAL / 900);
    } finally {
      finalHead ??= 0;
      await sse.catch(() => undefined);
      for (const c of [a, b, t1]) c.close();
    }
  });
});
