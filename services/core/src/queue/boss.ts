import PgBoss from 'pg-boss';
import type { Pool, Queryable } from '../db/pool';
import type { Logger } from '../logger';
import { DEAD_LETTER_QUEUE, type JobTypeRegistry } from './job-types';

/** pg-boss runs its SQL through this: our pool, or the client of a transaction we hold. */
export const bossDb = (db: Queryable): PgBoss.Db => ({
  executeSql: (text: string, values?: unknown[]) =>
    (values === undefined ? db.query(text) : db.query(text, values)) as Promise<{ rows: never[] }>,
});

export interface BossOptions {
  /** Expire active jobs and archive old ones (the queue-worker does; enqueue-only services do not). */
  supervise: boolean;
  maintenanceIntervalSeconds?: number;
  log?: Logger;
}

/**
 * A pg-boss instance over our pool. Its schema (`pgboss`) is created by pg-boss itself on the first
 * start, under its own advisory lock, so every service may start one. We use pg-boss for storage,
 * fetching (`FOR UPDATE SKIP LOCKED`), retry bookkeeping, expiry and dead letters, but never its
 * `work()` loop: the queue-worker fetches and settles jobs inside transactions of its own so the
 * `jobs` row and the `job.*` event change together with the pg-boss state.
 */
export async function startBoss(pool: Pool, types: JobTypeRegistry, opts: BossOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    db: bossDb(pool),
    supervise: opts.supervise,
    schedule: false,
    migrate: true,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 60,
  });
  boss.on('error', (e: Error) => opts.log?.warn({ err: e.message }, 'pg-boss error'));
  await boss.start();
  // pg-boss 10 refuses send/fetch on a queue that was never created; createQueue is idempotent but
  // not concurrency-safe: services starting together on a fresh database deadlock in it (seen with
  // compose). One service at a time creates the queues, under a session advisory lock.
  const lock = await pool.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext('codex-manager:pg-boss:create-queues'))`);
    await boss.createQueue(DEAD_LETTER_QUEUE, { name: DEAD_LETTER_QUEUE, policy: 'standard' });
    for (const t of Object.values(types)) {
      await boss.createQueue(t.name, { name: t.name, policy: 'standard', deadLetter: DEAD_LETTER_QUEUE });
    }
  } finally {
    await lock
      .query(`SELECT pg_advisory_unlock(hashtext('codex-manager:pg-boss:create-queues'))`)
      .catch(() => undefined);
    lock.release();
  }
  return boss;
}
