import {
  Actions,
  CommandBus,
  EventLog,
  Notifier,
  createLogger,
  sqlActionBackends,
  type EventEnvelope,
} from '../../core/src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { until } from '../../../test/helpers/poll';
import { Dispatcher, type ActiveExtension } from '../src/dispatcher';
import { manifestSchema } from '../src/manifest';
import { ExtensionStats } from '../src/stats';

// When the dispatcher writes an extension's durable cursor: at once after an event whose handlers
// acted (an action that changes something), lazily after one whose handlers only looked.
jest.setTimeout(60_000);

const SESSION = 'cursor-session';
let db: TestDatabase;
let notifier: Notifier;
let dispatcher: Dispatcher;
const seen: EventEnvelope[] = [];

const durable = async () =>
  Number(
    (await db.pool.query<{ seq: string }>(`SELECT seq FROM extension_cursors WHERE name = 'watcher'`)).rows[0]
      ?.seq ?? -1,
  );

const emit = async (type: string) =>
  (await new EventLog(db.pool).append([{ type, threadId: SESSION, source: 'test', data: {} }]))!.last;

beforeAll(async () => {
  db = await createTestDatabase('ext_cursors');
  await db.pool.query(`INSERT INTO sessions (id, title) VALUES ($1, 'fixture')`, [SESSION]);
  notifier = new Notifier(db.url);
  await notifier.start();
  const log = createLogger('test', 'silent');
  const bus = new CommandBus(db.pool, notifier);
  const actions = new Actions(
    {
      pool: db.pool,
      bus,
      queue: null,
      ...sqlActionBackends(db.pool, bus, { commandTimeoutMs: 1000, lockDefaults: false }),
      commandTimeoutMs: 1000,
    },
    { actor: 'extension:watcher', source: 'extension-host' },
  );
  const watcher: ActiveExtension = {
    manifest: manifestSchema.parse({
      name: 'watcher',
      version: '1.0.0',
      coreApi: '^1.0.0',
      events: ['test.*'],
      capabilities: ['transcript.write', 'settings.read'],
    }),
    dir: '/nowhere',
    origin: 'test',
    handlers: [
      {
        event: 'test.look',
        index: 0,
        handle: async (e, ctx) => {
          await ctx.actions.readSetting({ scope: 'default', key: 'anything' }); // a read is not an action
          seen.push(e);
        },
      },
      {
        event: 'test.act',
        index: 1,
        handle: async (e, ctx) => {
          await ctx.actions.upsertTranscriptRow({
            sessionId: SESSION,
            rowId: `act:${e.seq}`,
            kind: 'test',
            text: 'acted',
          });
          seen.push(e);
        },
      },
    ],
    stats: new ExtensionStats(),
    actions,
    timeoutMs: 5000,
  };
  // A lazy window far longer than the test: a lazily moved cursor stays behind until stop().
  dispatcher = new Dispatcher(db.pool, notifier, new EventLog(db.pool), log, 1000, 0, 600_000);
  await dispatcher.start();
  await dispatcher.activate([watcher]);
});

afterAll(async () => {
  await notifier?.stop();
  await db?.drop();
});

describe('extension cursors', () => {
  it('are written at once after an action, lazily after handlers that only looked, and on stop', async () => {
    const start = await durable();
    const look = await emit('test.look');
    await until('the look handler', async () => seen.some((e) => e.seq === look), 20_000);
    await new Promise((r) => setTimeout(r, 300)); // what the loop writes after an event is written by now
    expect(await durable()).toBe(start);

    const act = await emit('test.act');
    await until('the cursor after the action', async () => (await durable()) === act, 20_000);
    expect(seen.map((e) => e.type)).toEqual(['test.look', 'test.act']);

    const look2 = await emit('test.look');
    await until('the second look', async () => seen.some((e) => e.seq === look2), 20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await durable()).toBe(act);
    await dispatcher.stop();
    expect(await durable()).toBe(look2);
  });
});
