import type { Pool } from '../db/pool';
import { withTransaction } from '../db/pool';
import { coerceError } from '../errors';
import type { Logger } from '../logger';
import { COMPACTION_LOCK, compactionCutoff, deleteDeltas, probeEvent } from '../sql/compaction';
import { eventLogState } from '../sql/events';

export interface CompactorOptions {
  /** Deltas of finished turns older than this are deleted; 0 disables compaction. */
  retentionMs: number;
  /** How often a pass runs. Default: a tenth of the retention, between 1 s and 10 min. */
  intervalMs?: number;
  /** Rows deleted per transaction, so appenders never wait long on event_head. */
  batchSize?: number;
}

export interface CompactionResult {
  deleted: number;
  compactedBelow: number;
  /** False when another process held the compaction lock and this pass did nothing. */
  ran: boolean;
}

/**
 * Retention of the event log: deletes the streaming deltas (`DELTA_EVENT_TYPES`) of turns that are no
 * longer in progress once they are older than the retention, and raises `event_head.compacted_below`
 * to the highest seq deleted in the same transaction. Everything else (item/completed with the full
 * text, turn and request events) stays. Safe to run from several processes: a pass takes a
 * transaction-level advisory lock per batch and skips when another process holds it.
 */
export class EventCompactor {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  readonly #intervalMs: number;
  readonly #batchSize: number;

  constructor(
    private readonly pool: Pool,
    private readonly opts: CompactorOptions,
    private readonly log: Logger,
  ) {
    this.#intervalMs = opts.intervalMs ?? Math.min(Math.max(opts.retentionMs / 10, 1000), 600_000);
    this.#batchSize = opts.batchSize ?? 5000;
  }

  start(): void {
    if (this.#timer || this.opts.retentionMs <= 0) return;
    const tick = () => {
      this.#running = this.compactOnce()
        .then((r) => {
          if (r.deleted > 0) this.log.info({ ...r }, 'compacted delta events');
        })
        .catch((e: unknown) => this.log.warn({ err: coerceError(e).message }, 'event compaction failed'))
        .finally(() => {
          this.#running = null;
        });
    };
    this.#timer = setInterval(tick, this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One pass: finds the newest seq older than the retention, then deletes eligible deltas up to it. */
  async compactOnce(): Promise<CompactionResult> {
    const { rows } = await this.pool.query<{ cutoff: Date }>(compactionCutoff(this.opts.retentionMs));
    const cutoff = rows[0]!.cutoff;
    const bound = await this.#newestOlderThan(cutoff);
    let deleted = 0;
    let ran = true;
    for (;;) {
      const batch = await withTransaction(this.pool, async (db) => {
        const lock = await db.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
          COMPACTION_LOCK,
        ]);
        if (!lock.rows[0]?.ok) return null;
        const r = await db.query<{ deleted: number }>(deleteDeltas(bound, cutoff, this.#batchSize));
        return r.rows[0]?.deleted ?? 0;
      });
      if (batch === null) {
        ran = false;
        break;
      }
      deleted += batch;
      if (batch < this.#batchSize) break;
    }
    const state = await this.pool.query<{ compacted_below: number }>(eventLogState());
    return { deleted, compactedBelow: state.rows[0]?.compacted_below ?? 0, ran };
  }

  /**
   * Binary search over seq for the newest event older than `cutoff`: a handful of primary-key probes
   * instead of a scan (there is no index on ts). Append time grows with seq, since appenders are
   * serialised by the event_head row lock.
   */
  async #newestOlderThan(cutoff: Date): Promise<number> {
    const state = await this.pool.query<{ head: number }>(eventLogState());
    let lo = 0; // every existing seq <= lo is old (or there is none)
    let hi = (state.rows[0]?.head ?? 0) + 1; // every seq >= hi is new
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const { rows } = await this.pool.query<{ seq: number; old: boolean }>(probeEvent(mid, hi, cutoff));
      const row = rows[0];
      if (row?.old) lo = row.seq;
      else hi = mid;
    }
    return lo;
  }
}
