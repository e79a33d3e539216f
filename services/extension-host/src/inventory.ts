import { withTransaction, type Logger, type Pool } from '@codex-manager/core';
import type { LoadResult } from './loader';
import type { ExtensionStats } from './stats';

export interface InventoryEntry {
  result: LoadResult;
  stats: ExtensionStats;
}

const nameOf = (r: LoadResult): string =>
  r.state === 'active' ? r.extension.manifest.name : r.state === 'incompatible' ? r.manifest.name : r.name;

/**
 * The `extensions` table, what `GET /api/extensions` shows: rewritten whole when a set is activated
 * (so it always describes the set in force), with handler stats flushed every few seconds.
 */
export class Inventory {
  #entries: InventoryEntry[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly trust: string,
    private readonly log: Logger,
  ) {}

  start(intervalMs = 2000): void {
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.flush();
  }

  async replace(entries: InventoryEntry[]): Promise<void> {
    this.#entries = entries;
    await withTransaction(this.pool, async (tx) => {
      await tx.query('DELETE FROM extensions WHERE NOT (name = ANY($1::text[]))', [
        entries.map((e) => nameOf(e.result)),
      ]);
      for (const e of entries) await tx.query(upsert(e, this.trust));
    });
    for (const e of entries) e.stats.dirty = false;
  }

  async flush(): Promise<void> {
    const dirty = this.#entries.filter((e) => e.stats.dirty);
    if (dirty.length === 0) return;
    for (const e of dirty) e.stats.dirty = false;
    try {
      for (const e of dirty) {
        await this.pool.query(
          `UPDATE extensions SET handler_stats = $2, last_errors = $3, updated_at = now() WHERE name = $1`,
          [nameOf(e.result), JSON.stringify(e.stats.handlers), JSON.stringify(e.stats.lastErrors)],
        );
      }
    } catch (err) {
      for (const e of dirty) e.stats.dirty = true;
      this.log.warn({ err: (err as Error).message }, 'could not write extension stats');
    }
  }
}

function upsert({ result: r, stats }: InventoryEntry, trust: string) {
  const m = r.state === 'active' ? r.extension.manifest : r.manifest;
  const dir = r.state === 'active' ? r.extension.dir : r.dir;
  const origin = r.state === 'active' ? r.extension.origin : r.origin;
  return {
    text: `INSERT INTO extensions (name, version, origin, path, core_api, compatible, state, trust, priority,
             events, capabilities, handler_stats, last_errors, load_error, loaded_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now(), now())
           ON CONFLICT (name) DO UPDATE SET version = $2, origin = $3, path = $4, core_api = $5,
             compatible = $6, state = $7, trust = $8, priority = $9, events = $10, capabilities = $11,
             handler_stats = $12, last_errors = $13, load_error = $14, loaded_at = now(), updated_at = now()`,
    values: [
      nameOf(r),
      m?.version ?? null,
      origin,
      dir,
      m?.coreApi ?? null,
      r.state !== 'incompatible',
      r.state,
      trust,
      m?.priority ?? 0,
      JSON.stringify(m?.events ?? []),
      JSON.stringify(m?.capabilities ?? []),
      JSON.stringify(stats.handlers),
      JSON.stringify(stats.lastErrors),
      r.state === 'active' ? null : r.error,
    ],
  };
}
