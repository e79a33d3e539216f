import type { Queryable } from '../db/pool';
import { appendEvents, readEvents } from '../sql/events';
import { matchesFilter, type EventEnvelope, type EventFilter, type NewEvent } from './types';

interface EventRow {
  seq: number;
  ts: Date;
  type: string;
  thread_id: string | null;
  turn_id: string | null;
  item_id: string | null;
  source: string;
  data: Record<string, unknown>;
  trace_id: string | null;
}

export function rowToEnvelope(r: EventRow): EventEnvelope {
  const e: EventEnvelope = {
    seq: r.seq,
    ts: r.ts.toISOString(),
    type: r.type,
    source: r.source,
    data: r.data,
  };
  if (r.thread_id) e.threadId = r.thread_id;
  if (r.turn_id) e.turnId = r.turn_id;
  if (r.item_id) e.itemId = r.item_id;
  if (r.trace_id) e.traceId = r.trace_id;
  return e;
}

/** The durable event log (invariant 2: gap-free, ordered, exactly once for a resuming reader). */
export class EventLog {
  constructor(private readonly db: Queryable) {}

  /**
   * Appends a batch atomically; returns the seq range. Pass a transaction client as `db` to make the
   * append part of a larger transaction (the NOTIFY is then delivered at that commit).
   */
  async append(events: NewEvent[], db: Queryable = this.db): Promise<{ first: number; last: number } | null> {
    if (events.length === 0) return null;
    const { rows } = await db.query<{ first: number; last: number }>(appendEvents(events));
    const row = rows[0];
    return row ? { first: row.first, last: row.last } : null;
  }

  /**
   * Events with `after < seq <= upTo` (or the newest), oldest first. The filter is applied after the
   * seq range is read, so `lastSeq` tells the caller how far it has looked even when nothing matched.
   */
  async read(
    after: number,
    opts: { limit?: number; upTo?: number | null; filter?: EventFilter } = {},
  ): Promise<{ events: EventEnvelope[]; lastSeq: number }> {
    const limit = opts.limit ?? 1000;
    const { rows } = await this.db.query<EventRow>(
      readEvents(after, opts.upTo ?? null, limit, opts.filter?.threadIds),
    );
    const all = rows.map(rowToEnvelope);
    const lastSeq =
      all.length === limit ? all[all.length - 1]!.seq : (opts.upTo ?? all[all.length - 1]?.seq ?? after);
    return { events: all.filter((e) => matchesFilter(e, opts.filter)), lastSeq: Math.max(lastSeq, after) };
  }

  /** The newest committed seq. */
  async head(): Promise<number> {
    const { rows } = await this.db.query<{ seq: number }>('SELECT seq FROM event_head');
    return rows[0]?.seq ?? 0;
  }
}

/**
 * Takes the event log's append lock at the start of a transaction that will both update read
 * models and append events. The runtime-bridge's appender locks the log first and then the read
 * models it projects into; taking the locks in that same order keeps the two from deadlocking.
 */
export async function lockEventLog(db: Queryable): Promise<void> {
  await db.query('SELECT seq FROM event_head FOR UPDATE');
}
