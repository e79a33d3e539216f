import { Notifier } from '../../core/src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { WokenLoop, announcesRequest, noticeHead } from '../src/woken-loop';

// The settle window of a background loop: wakes during it join one run; a server request does not
// wait; stop does not wait it out. Real NOTIFYs through a real LISTEN connection.
let db: TestDatabase;
let notifier: Notifier;
const CHANNEL = 'cm_test_woken';

beforeAll(async () => {
  db = await createTestDatabase('woken_loop');
  notifier = new Notifier(db.url);
  await notifier.start();
});
afterAll(async () => {
  await notifier?.stop();
  await db?.drop();
});

const notify = (payload: string) => db.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function loop(settleMs: number, workMs = 0) {
  const runs: number[] = [];
  const wakes = new WokenLoop({
    notifier,
    channel: CHANNEL,
    pollMs: 60_000,
    work: async () => {
      runs.push(Date.now());
      await sleep(workMs);
    },
    onError: (e) => {
      throw e;
    },
    absorb: () => false,
    settleMs,
    urgent: announcesRequest,
  });
  return { wakes, runs };
}

test('announcesRequest: request types, or types it cannot tell, do not wait', () => {
  expect(announcesRequest('12 10 runtime.item.completed,request.created')).toBe(true);
  expect(announcesRequest('12 10 *')).toBe(true);
  expect(announcesRequest('12')).toBe(true);
  expect(announcesRequest('12 10 runtime.item.completed,runtime.turn.completed\n[]')).toBe(false);
});

test('NOTIFYs within the settle window are read by one run, after the window', async () => {
  const { wakes, runs } = loop(400);
  await wakes.start();
  await until('the first run', () => runs.length === 1);
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) await notify(`${i + 2} ${i + 2} runtime.item.completed`);
  await until('a run after the NOTIFYs', () => runs.length === 2);
  await sleep(600); // a second run would have come by now
  await wakes.stop();
  expect(runs).toHaveLength(2);
  expect(runs[1]! - t0).toBeGreaterThanOrEqual(390);
});

test('a server request starts the run at once, also when a run is already waiting', async () => {
  const { wakes, runs } = loop(60_000);
  await wakes.start(); // the start wake waits out the window...
  await notify('3 3 runtime.item.started');
  expect(runs).toHaveLength(0);
  await notify('4 4 request.created'); // ...until a request arrives
  await until('the run the request started', () => runs.length === 1);
  await notify('5 5 request.resolved'); // nothing waiting: runs without a window
  await until('a second run', () => runs.length === 2);
  await wakes.stop();
});

test('a request announced during a run makes the next run start at once', async () => {
  const { wakes, runs } = loop(60_000, 500);
  await wakes.start();
  await notify('7 7 request.created'); // cuts the start wake's window: the first run starts
  await until('the first run', () => runs.length === 1);
  await notify('8 8 request.resolved'); // during the run...
  await notify('9 9 runtime.item.completed'); // ...and a later, ordinary one
  await until('the next run, without a window', () => runs.length === 2);
  await wakes.stop();
});

test('stop ends a waiting window without running', async () => {
  const { wakes, runs } = loop(60_000);
  await wakes.start();
  await notify('6 6 runtime.turn.completed');
  const t0 = Date.now();
  await wakes.stop();
  expect(Date.now() - t0).toBeLessThan(30_000);
  expect(runs).toHaveLength(0);
});

describe('noticeHead', () => {
  it('parses a payload once for every loop that looks at it, and a new payload anew', () => {
    const a = noticeHead('12 10 runtime.turn.started,request.created');
    expect(a).toMatchObject({ first: 10, last: 12, types: ['runtime.turn.started', 'request.created'] });
    expect(noticeHead('12 10 runtime.turn.started,request.created')).toBe(a);
    expect(announcesRequest('12 10 runtime.turn.started,request.created')).toBe(true);
    expect(noticeHead('13 13 runtime.turn.completed')).toMatchObject({ first: 13, last: 13 });
    expect(announcesRequest('13 13 runtime.turn.completed')).toBe(false);
  });
});
