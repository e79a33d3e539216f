import { EventLog, type NewEvent } from '@codex-manager/core';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { SocketStreamClient } from '../../../test/helpers/socket';
import { SseClient } from '../../../test/helpers/sse';
import { startGateway, type InProcessGateway } from './harness';

// A client that stops reading must be cut off with a resume hint and must never hold up the others.
jest.setTimeout(180_000);

const BOUND = 256 * 1024;
let db: TestDatabase;
let gw: InProcessGateway;

beforeAll(async () => {
  db = await createTestDatabase('stream_slow');
  gw = await startGateway(db, { maxBufferedBytes: BOUND });
});
afterAll(async () => {
  await gw.stop();
  await db.drop();
});

// ~30 MB: far more than the kernel's socket buffers on both ends can hide.
const EVENTS = 15_000;
const PAD = 'p'.repeat(2000);

async function flood(log: EventLog): Promise<void> {
  for (let i = 0; i < EVENTS; i += 500) {
    const batch: NewEvent[] = Array.from({ length: 500 }, (_, j) => ({
      type: 'runtime.item.agentMessage.delta',
      threadId: 'flood',
      source: 'test',
      data: { i: i + j, pad: PAD },
    }));
    await log.append(batch);
  }
}

const errorFrame = (frames: { event?: string; data: unknown }[]) =>
  frames.find((f) => f.event === 'error')?.data as { code: string; resumeFrom: number } | undefined;

describe('slow consumers', () => {
  it('cuts off stalled clients with a resume hint while the others receive everything', async () => {
    const log = new EventLog(db.pool);
    const start = (await log.state()).head;
    const expected = Array.from({ length: EVENTS }, (_, i) => start + 1 + i);
    const fastSocket = new SocketStreamClient(gw.url, { after: start, subscribe: {} });
    const slowSocket = new SocketStreamClient(gw.url, { after: start, subscribe: {} });
    const fastSse = new SseClient(`${gw.url}/api/stream?after=${start}`);
    const slowSse = new SseClient(`${gw.url}/api/stream?after=${start}`);
    try {
      await slowSocket.waitFor(
        (c) => c.framesNamed('subscription').length > 0 || c.connects > 0,
        10_000,
        'connect',
      );
      await slowSse.waitFor((c) => c.frames.length > 0, 10_000, 'ready');
      slowSocket.pauseReading();
      slowSse.pause();
      await flood(log);

      // The fast clients get everything while the stalled ones are still not reading.
      await fastSocket.waitFor((c) => c.lastSeq === start + EVENTS, 120_000, 'fast socket.io client');
      await fastSse.waitFor((c) => c.events.at(-1)?.seq === start + EVENTS, 120_000, 'fast SSE client');
      expect(fastSocket.events.map((e) => e.seq)).toEqual(expected);
      expect(fastSse.events.map((e) => e.seq)).toEqual(expected);
      expect(gw.hub.stats().ended.slow_consumer).toBe(2);
      expect(fastSocket.framesNamed('error')).toEqual([]);

      // Once they read again, each stalled client finds a gap-free prefix, then the hint.
      slowSocket.resumeReading();
      slowSse.resume();
      await slowSocket.waitFor((c) => c.framesNamed('error').length > 0, 60_000, 'slow_consumer frame');
      await slowSse.waitFor((c) => errorFrame(c.frames) !== undefined, 60_000, 'SSE error frame');
      const hint = slowSocket.framesNamed('error')[0] as {
        code: string;
        resumeFrom: number;
        message: string;
      };
      expect(hint).toMatchObject({
        code: 'slow_consumer',
        resumeFrom: expect.any(Number),
        message: expect.any(String),
      });
      expect(hint.resumeFrom).toBeLessThan(start + EVENTS);
      expect(slowSocket.events.map((e) => e.seq)).toEqual(expected.slice(0, hint.resumeFrom - start));
      const sseHint = errorFrame(slowSse.frames)!;
      expect(sseHint.code).toBe('slow_consumer');
      expect(slowSse.events.map((e) => e.seq)).toEqual(expected.slice(0, sseHint.resumeFrom - start));

      // Resuming from the hint completes the stream with nothing missing and nothing repeated.
      await slowSocket.waitFor((c) => c.framesNamed('disconnect').length > 0, 30_000, 'server disconnect');
      slowSocket.socket.connect();
      await slowSocket.waitFor((c) => c.lastSeq === start + EVENTS, 120_000, 'resumed socket client');
      expect(slowSocket.events.map((e) => e.seq)).toEqual(expected);
      const rest = new SseClient(`${gw.url}/api/stream`, { 'last-event-id': String(sseHint.resumeFrom) });
      try {
        await rest.waitFor((c) => c.events.at(-1)?.seq === start + EVENTS, 120_000, 'resumed SSE client');
        expect([...slowSse.events, ...rest.events].map((e) => e.seq)).toEqual(expected);
      } finally {
        await rest.close();
      }
    } finally {
      fastSocket.close();
      slowSocket.close();
      await fastSse.close();
      await slowSse.close();
    }
  });
});
