import pg from 'pg';
import { rowToEnvelope } from './event-log';
import type { EventEnvelope } from './types';

/**
 * What the NOTIFY of an append tells its listeners (channel `cm_events`): the seq range it
 * committed and the distinct types in it, as `<last> <first> <type,type,…>` (`*` instead of the
 * types when they would not fit), followed, when the whole payload stays under PostgreSQL's
 * 8,000-byte limit, by a newline and the rows themselves as a JSON array. Appends commit in seq order
 * and NOTIFYs arrive in commit order, so a listener whose position is just before `first` knows
 * exactly what it missed, and can take small batches without reading the log.
 */
export interface EventNotice {
  first: number;
  last: number;
  /** Distinct event types in the range; null when unknown (read the range to find out). */
  types: string[] | null;
  /** The events of the range, exactly as a read of the log returns them; absent when they did not fit. */
  events?: EventEnvelope[];
}

type NoticeRow = [
  seq: number,
  ts: string,
  type: string,
  threadId: string | null,
  turnId: string | null,
  itemId: string | null,
  source: string,
  data: Record<string, unknown>,
  traceId: string | null,
  spanId: string | null,
];

/** The timestamp parser a read of the log uses, so both paths give the same `ts` to the millisecond. */
const parseTimestamp = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text') as (v: string) => Date;

/** A row of the notice as the row a read of the log gets, so both become the same envelope. */
const envelopeOf = ([
  seq,
  ts,
  type,
  thread_id,
  turn_id,
  item_id,
  source,
  data,
  trace_id,
  span_id,
]: NoticeRow) =>
  rowToEnvelope({
    seq,
    ts: parseTimestamp(ts),
    type,
    thread_id,
    turn_id,
    item_id,
    source,
    data,
    trace_id,
    span_id,
  });

/**
 * Reads a notice. `withEvents: false` reads only its head (range and types), for listeners that
 * never use the rows and should not pay for decoding them.
 */
export function parseEventNotice(payload: string, withEvents = true): EventNotice | null {
  const nl = payload.indexOf('\n');
  const [last, first, types] = (nl < 0 ? payload : payload.slice(0, nl)).split(' ');
  const l = Number(last);
  const f = Number(first ?? last);
  if (!Number.isSafeInteger(l) || !Number.isSafeInteger(f) || l <= 0 || f <= 0 || f > l) return null;
  const notice: EventNotice = { first: f, last: l, types: types && types !== '*' ? types.split(',') : null };
  if (nl >= 0 && withEvents) {
    try {
      const events = (JSON.parse(payload.slice(nl + 1)) as NoticeRow[]).map(envelopeOf);
      // Whole and in order, or not used at all.
      if (events.length === l - f + 1 && events.every((e, i) => e.seq === f + i)) notice.events = events;
    } catch {
      // a malformed row list only costs the listener a read
    }
  }
  return notice;
}

/**
 * Whether a listener that has seen everything up to `position`, and wants only types starting with
 * one of `prefixes` (undefined: every type), can move to `notice.last` without reading: the range
 * follows its position and holds nothing it wants.
 */
export function noticeSkips(notice: EventNotice, position: number, prefixes: string[] | undefined): boolean {
  if (notice.last <= position) return true;
  if (notice.first > position + 1 || notice.types === null || prefixes === undefined) return false;
  return !notice.types.some((t) => prefixes.some((p) => t.startsWith(p)));
}
