import type { Queryable } from '../db/pool';
import { runScript, type Statement } from '../db/script';
import { AppError, ErrorCode } from '../errors';
import { appendEvents, eventLogState, readEvents } from '../sql/events';
import { type EventEnvelope, type EventFilter, type NewEvent } from './types';

/** An `events` row as the driver returns it. */
export interface EventRow {
  seq: number;
  ts: Date;
  type: string;
  thread_id: string | null;
  turn_id: string | null;
  item_id: string | null;
  source: string;
  data: Record<string, unknown>;
  trace_id: string | null;
  span_id: string | null;
}

/**
 * A cursor below the compaction mark: the deltas after it may be gone, so resuming from it could skip
 * events. The reader must re-read state (REST) and resume from `head`.
 */
export class CursorExpiredError extends AppError {
  constructor(
    readonly cursor: number,
    readonly compactedBelow: number,
    readonly head: number,
  ) {
    super(
      ErrorCode.cursorExpired,
      `cursor ${cursor} is older than the retained event log (compacted below ${compactedBelow})`,
      {
        details: { cursor, compactedBelow, head },
        suggestion: 're-read the state you need over REST, then resume from head',
      },
    );
  }
}

export interface EventLogState {
  /** Newest committed seq. */
  head: number;
  /** Low-water mark of compaction: cursors below it are expired (see docs/architecture.md). */
  compactedBelow: number;
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
  if (r.trace_id && r.span_id) e.spanId = r.span_id;
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
   * Appends a batch and runs `writes` (read-model updates derived from it) after it, all in one
   * transaction and one round trip (`runScript`). The append comes first, so its lock on the log
   * is taken before the read models' rows, the same order as `lockEventLog` callers take them.
   */
  async appendWith(events: NewEvent[], writes: Statement[]): Promise<{ first: number; last: number } | null> {
    if (events.length === 0) return null;
    const [rows] = await runScript<{ first: number; last: number }>(this.db, [
      appendEvents(events),
      ...writes,
    ]);
    const row = rows?.[0];
    return row ? { first: row.first, last: row.last } : null;
  }

  /**
   * Events with `after < seq <= upTo` (or the newest), oldest first, that match `filter` (applied in
   * the database). `lastSeq` tells the caller how far it has looked even when nothing matched: the
   * last event returned when `limit` was reached, else `upTo` or the head of the same snapshot.
   * Throws `CursorExpiredError` when `after` is below the compaction mark (checked in the same
   * snapshot as the rows, so a concurrent compaction can never leave a hole in what is returned).
   */
  async read(
    after: number,
    opts: { limit?: number; upTo?: number | null; filter?: EventFilter } = {},
  ): Promise<{ events: EventEnvelope[]; lastSeq: number; compactedBelow: number }> {
    const limit = opts.limit ?? 1000;
    const { rows } = await this.db.query<EventRow & { head: number; compacted_below: number }>(
      readEvents(after, opts.upTo ?? null, limit, opts.filter),
    );
    const compactedBelow = rows[0]?.compacted_below ?? 0;
    if (after < compactedBelow) throw new CursorExpiredError(after, compactedBelow, await this.head());
    const events = rows.filter((r) => r.seq !== null).map(rowToEnvelope);
    const lastSeq =
      events.length === limit ? events[events.length - 1]!.seq : (opts.upTo ?? rows[0]?.head ?? after);
    return { events, lastSeq: Math.max(lastSeq, after), compactedBelow };
  }

  /** Head and compaction mark, read together. */
  async state(): Promise<EventLogState> {
    const { rows } = await this.db.query<{ head: number; compacted_below: number }>(eventLogState());
    return { head: rows[0]?.head ?? 0, compactedBelow: rows[0]?.compacted_below ?? 0 };
  }

  /** The newest committed seq. */
  async head(): Promise<number> {
    const { rows } = await this.db.query<{ seq: number }>('SELECT seq FROM event_head');
    return rows[0]?.seq ?? 0;
  }
}

/** The event log's append lock (`lockEventLog`), as the first statement of a script (`runScript`). */
export const LOCK_EVENT_LOG: Statement = { text: 'SELECT seq FROM event_head FOR UPDATE' };

/**
 * Takes the event log's append lock at the start of a transaction that will both update read
 * models and append events. The runtime-bridge's appender locks the log first and then the read
 * models it projects into; taking the locks in that same order keeps the two from deadlocking.
 */
export async function lockEventLog(db: Queryable): Promise<void> {
  await db.query(LOCK_EVENT_LOG.text);
}
