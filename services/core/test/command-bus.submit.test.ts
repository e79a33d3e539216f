import { AppError, CommandBus, ErrorCode, Notifier, createLogger } from '../src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

let db: TestDatabase;
let notifier: Notifier;
let bus: CommandBus;
const log = createLogger('test', 'silent');

beforeAll(async () => {
  db = await createTestDatabase('command_bus');
  notifier = new Notifier(db.url, log);
  await notifier.start();
  bus = new CommandBus(db.pool, notifier);
  await bus.start();
});
afterAll(async () => {
  bus.stop();
  await notifier.stop();
  await db.drop();
});

/** A minimal claimer standing in for the runtime-bridge's executor. */
function serve(claimer: string, handle: (params: Record<string, unknown>) => unknown | Promise<unknown>) {
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const rows = await bus.claim(claimer);
      for (const row of rows) {
        try {
          await bus.finish(row.id, { result: await handle(row.params) });
        } catch (e) {
          await bus.finish(row.id, {
            error: { code: (e as AppError).code ?? 'runtime_error', message: (e as Error).message },
          });
        }
      }
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return async () => {
    stop = true;
    await loop;
  };
}

describe('CommandBus', () => {
  it('delivers the result written by the claimer to the waiting caller', async () => {
    const stop = serve('bridge-a', (p) => ({ echoed: p.value }));
    try {
      await expect(bus.submit('echo', { value: 42 }, { timeoutMs: 5000 })).resolves.toEqual({ echoed: 42 });
    } finally {
      await stop();
    }
  });

  it('takes a small outcome from the NOTIFY and reads a large one, with the same result', async () => {
    const big = 'x'.repeat(20_000);
    const stop = serve('bridge-a', (p) => ({ echoed: p.value }));
    const payloads: string[] = [];
    const seen = (p: string) => void payloads.push(p);
    notifier.on('cm_command_done', seen);
    try {
      await expect(bus.submit('echo', { value: 'small' }, { timeoutMs: 5000 })).resolves.toEqual({
        echoed: 'small',
      });
      await expect(bus.submit('echo', { value: big }, { timeoutMs: 5000 })).resolves.toEqual({ echoed: big });
    } finally {
      notifier.off('cm_command_done', seen);
      await stop();
    }
    expect(payloads[0]).toMatch(/^[0-9a-f-]{36} \{.*"status" : "succeeded".*"small"/);
    expect(payloads[1]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects with the stable code the claimer recorded, carrying the command id', async () => {
    const stop = serve('bridge-a', () => {
      throw new AppError(ErrorCode.notSupported, 'nope');
    });
    try {
      const err = await bus.submit('x', {}, { timeoutMs: 5000 }).catch((e: AppError) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('not_supported');
      expect((err as AppError).details?.commandId).toEqual(expect.any(String));
    } finally {
      await stop();
    }
  });

  it('times out with runtime_unavailable and the command id when nobody claims, and expires the row', async () => {
    const err = (await bus
      .submit('thread/start', {}, { timeoutMs: 300 })
      .catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('runtime_unavailable');
    expect(err.statusCode).toBe(503);
    const id = err.details?.commandId as string;
    expect(err.message).toContain(id);
    // A bridge that comes up late must not run it.
    expect(await bus.claim('late-bridge')).toEqual([]);
    expect((await bus.get(id))?.status).toBe('expired');
  });

  it('times out with runtime_timeout when the command was claimed but never finished', async () => {
    const stop = serve('bridge-a', () => new Promise((r) => setTimeout(r, 1500)));
    try {
      const err = (await bus.submit('slow', {}, { timeoutMs: 300 }).catch((e: unknown) => e)) as AppError;
      expect(err.code).toBe('runtime_timeout');
      expect(err.details).toMatchObject({ commandId: expect.any(String), status: 'running' });
    } finally {
      await stop();
    }
  });

  it('never hands one command to two concurrent claimers (FOR UPDATE SKIP LOCKED)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { rows } = await db.pool.query<{ id: string }>(
        `INSERT INTO runtime_commands (method, params, expires_at) VALUES ('m', '{}', now() + interval '1 minute') RETURNING id`,
      );
      ids.push(rows[0]!.id);
    }
    const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => bus.claim(`bridge-${i}`, 5)));
    let rest = await bus.claim('bridge-rest', 100);
    const all = [...claims.flat(), ...rest].map((r) => r.id);
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all)).toEqual(new Set(ids));
    rest = await bus.claim('again', 100);
    expect(rest).toEqual([]);
  });
});
