import { z } from 'zod';
import {
  Actions,
  AppError,
  CommandBus,
  EventLog,
  JobFailure,
  JobLifecycle,
  JobQueue,
  sqlActionBackends,
  Notifier,
  createLogger,
  type JobTypeRegistry,
  type JobView,
} from '../../core/src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { JobRunner } from '../src/job-runner';
import type { JobHandler } from '../src/jobs/types';
import { Recovery } from '../src/recovery';
import type { WorkerTurns } from '../src/worker-turns';

jest.setTimeout(60_000);

const any = z.object({ n: z.number().optional(), key: z.string().optional() }).strict();
const type = (name: string, over: Partial<JobTypeRegistry[string]> = {}) => ({
  name,
  description: name,
  payload: any,
  priority: 0,
  maxAttempts: 3,
  timeoutMs: 30_000,
  retryDelaySeconds: 0,
  backoff: false,
  ...over,
});
const TYPES: JobTypeRegistry = {
  echo: type('echo'),
  flaky: type('flaky'),
  broken: type('broken'),
  wait: type('wait', { maxAttempts: 1 }),
  stuck: type('stuck', { maxAttempts: 2, timeoutMs: 300 }),
  ping: type('ping'),
};

const log = createLogger('test', 'silent');
let db: TestDatabase;
let notifier: Notifier;
let queue: JobQueue;
let runner: JobRunner | null = null;
const calls: Record<string, number> = {};

/** Handlers for the test types; `wait` runs until aborted, `stuck` ignores its signal. */
const HANDLERS: Record<string, JobHandler> = {
  echo: async ({ job }) => ({ echoed: job.payload }),
  flaky: async () => {
    throw new AppError('runtime_unavailable', 'the runtime is away');
  },
  broken: async () => {
    throw new JobFailure('invalid_payload', 'this payload can never work');
  },
  wait: ({ signal }) =>
    new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
  stuck: () => new Promise(() => undefined),
  ping: async () => ({ pong: true }),
};

const lifecycleOf = (workerId: string) =>
  new JobLifecycle(db.pool, queue.boss!, new EventLog(db.pool), workerId);

function startRunner(workerId: string, concurrency = 4, lifecycle = lifecycleOf(workerId)): JobRunner {
  const counted = Object.fromEntries(
    Object.entries(HANDLERS).map(([k, h]) => [
      k,
      ((ctx) => {
        calls[k] = (calls[k] ?? 0) + 1;
        return h(ctx);
      }) as JobHandler,
    ]),
  );
  const bus = new CommandBus(db.pool, notifier);
  const backends = {
    pool: db.pool,
    bus,
    queue,
    ...sqlActionBackends(db.pool, bus, { commandTimeoutMs: 5000, lockDefaults: false }),
    commandTimeoutMs: 1000,
  };
  const r = new JobRunner({
    lifecycle,
    notifier,
    handlers: counted,
    actionsFor: () => new Actions(backends, { actor: 'extension:test', source: 'queue-worker' }),
    concurrency,
    log,
  });
  return r;
}

async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const settled = (id: string, status: JobView['status']) =>
  until(`job ${id} ${status}`, async () => {
    const j = await queue.get(id);
    return j?.status === status ? j : null;
  });

const eventsOf = async (jobId: string) =>
  (
    await db.pool.query<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM events WHERE data->>'jobId' = $1 ORDER BY seq`,
      [jobId],
    )
  ).rows;

const enqueue = (t: string, payload: Record<string, unknown> = {}, opts: { dedupeKey?: string } = {}) =>
  queue.enqueue(t, payload, { requestedBy: 'tester', source: 'test', ...opts });

beforeAll(async () => {
  db = await createTestDatabase('job_runner');
  notifier = new Notifier(db.url);
  await notifier.start();
  queue = await JobQueue.start({
    pool: db.pool,
    types: TYPES,
    enabled: true,
    maxPending: 60,
    source: 'test',
  });
});
afterEach(async () => {
  await runner?.stop(100);
  runner = null;
});
afterAll(async () => {
  await queue?.stop();
  await notifier?.stop();
  await db?.drop();
});

describe('the job queue and its runner', () => {
  it('claims only the types with a waiting job: a wake with nothing to do claims nothing', async () => {
    const lifecycle = lifecycleOf('w-idle');
    runner = startRunner('w-idle', 4, lifecycle);
    const claimed: string[] = [];
    const claim = lifecycle.claim.bind(lifecycle);
    lifecycle.claim = (t, limit) => {
      claimed.push(t);
      return claim(t, limit);
    };
    await runner.start();
    for (let i = 0; i < 5; i++) {
      runner.wake();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(claimed).toEqual([]);
    const { job } = await enqueue('ping');
    await settled(job.id, 'completed');
    expect(new Set(claimed)).toEqual(new Set(['ping']));
  });

  it('dedupes a burst of 50 identical triggers into one job', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => enqueue('echo', { key: 'burst' }, { dedupeKey: 'burst-1' })),
    );
    const ids = new Set(results.map((r) => r.job.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.deduped)).toHaveLength(1);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'echo'`);
    expect(rows[0].n).toBe(1);
    runner = startRunner('w-burst');
    await runner.start();
    const job = await settled([...ids][0]!, 'completed');
    expect(job.output).toEqual({ echoed: { key: 'burst' } });
    expect((await eventsOf(job.id)).map((e) => e.type)).toEqual([
      'job.queued',
      'job.started',
      'job.completed',
    ]);
    // Once finished, the key is free again.
    expect((await enqueue('echo', {}, { dedupeKey: 'burst-1' })).deduped).toBe(false);
  });

  it('retries a retryable failure up to the bound, then ends failed with a dead-letter copy', async () => {
    runner = startRunner('w-flaky');
    await runner.start();
    const { job } = await enqueue('flaky');
    const failed = await settled(job.id, 'failed');
    expect(failed.attempts).toBe(3);
    expect(failed.error).toMatchObject({ code: 'runtime_unavailable', class: 'retryable' });
    expect(failed.deadLetter).toBe('dead-letter');
    expect((await eventsOf(job.id)).map((e) => e.type)).toEqual([
      'job.queued',
      'job.started',
      'job.retrying',
      'job.started',
      'job.retrying',
      'job.started',
      'job.failed',
    ]);
    const dlq = await db.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'dead-letter'`);
    expect(dlq.rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('does not retry a fatal failure', async () => {
    runner = startRunner('w-broken');
    await runner.start();
    const { job } = await enqueue('broken');
    const failed = await settled(job.id, 'failed');
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatchObject({ code: 'invalid_payload', class: 'fatal' });
  });

  it('cancels queued and running jobs; a repeat is already_resolved, a finished job is 409', async () => {
    const queued = (await enqueue('wait')).job;
    expect((await queue.cancel(queued.id, 'tester')).outcome).toBe('canceled');
    runner = startRunner('w-cancel');
    await runner.start();
    const running = (await enqueue('wait')).job;
    await settled(running.id, 'running');
    expect((await queue.cancel(running.id, 'tester')).job.status).toBe('canceled');
    expect((await queue.cancel(running.id, 'tester')).outcome).toBe('already_resolved');
    await until('runner to let go', async () => runner!.runningCount === 0);
    const after = await queue.get(running.id);
    expect(after?.status).toBe('canceled');
    expect((await eventsOf(running.id)).map((e) => e.type)).toEqual([
      'job.queued',
      'job.started',
      'job.canceled',
    ]);
    const done = (await enqueue('echo')).job;
    await settled(done.id, 'completed');
    await expect(queue.cancel(done.id, 'tester')).rejects.toMatchObject({ code: 'conflict' });
    expect(calls.wait).toBe(1);
  });

  it('times out a handler that ignores its signal and frees the slot for the next job', async () => {
    runner = startRunner('w-stuck', 1);
    await runner.start();
    const stuck = (await enqueue('stuck')).job;
    const next = (await enqueue('echo', { n: 1 })).job;
    const failed = await settled(stuck.id, 'failed');
    expect(failed.attempts).toBe(2);
    expect(failed.error).toMatchObject({ code: 'job_timeout', class: 'retryable' });
    await settled(next.id, 'completed');
  });

  it('retries a failed or canceled job on request; refuses an unfinished one', async () => {
    runner = startRunner('w-retry');
    await runner.start();
    const { job } = await enqueue('broken');
    await settled(job.id, 'failed');
    await expect(queue.retry((await enqueue('wait')).job.id, 'tester')).rejects.toMatchObject({
      code: 'conflict',
    });
    const again = await queue.retry(job.id, 'tester');
    expect(again.status).toBe('queued');
    const failedAgain = await settled(job.id, 'failed');
    expect(failedAgain.attempts).toBe(2);
    expect((await eventsOf(job.id)).map((e) => e.type)).toContain('job.retried');
  });

  it('refuses bad payloads and unknown types without writing anything, and 429 when full', async () => {
    const before = (await db.pool.query(`SELECT count(*)::int AS n FROM jobs`)).rows[0].n;
    await expect(enqueue('echo', { bogus: 1 })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(enqueue('nope')).rejects.toMatchObject({ code: 'invalid_request' });
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM jobs`)).rows[0].n).toBe(before);
    const unfinished = async () =>
      (
        await db.pool.query(
          `SELECT count(*)::int AS n FROM jobs WHERE status IN ('queued','running','retrying')`,
        )
      ).rows[0].n as number;
    while ((await unfinished()) < 60) await enqueue('wait');
    await expect(enqueue('wait')).rejects.toMatchObject({ code: 'queue_full', statusCode: 429 });
    await db.pool.query(
      `UPDATE jobs SET status = 'canceled' WHERE status IN ('queued','running','retrying')`,
    );
  });

  it('takes over the job of a worker that died mid-job and finishes it', async () => {
    const dead = lifecycleOf('w-dead');
    const { job } = await enqueue('echo', { n: 7 });
    const [claimed] = await dead.claim('echo', 1);
    expect(claimed?.id).toBe(job.id);
    // w-dead never writes a heartbeat: it counts as gone.
    const lifecycle = lifecycleOf('w-alive');
    const turns = { interrupt: async () => undefined } as unknown as WorkerTurns;
    const recovery = new Recovery(lifecycle, turns, 10_000, log);
    expect(await recovery.sweep()).toBe(1);
    expect((await queue.get(job.id))?.status).toBe('retrying');
    runner = startRunner('w-alive');
    await runner.start();
    const done = await settled(job.id, 'completed');
    expect(done.attempts).toBe(2);
    expect((await eventsOf(job.id)).map((e) => e.type)).toEqual([
      'job.queued',
      'job.started',
      'job.retrying',
      'job.started',
      'job.completed',
    ]);
  });
});
