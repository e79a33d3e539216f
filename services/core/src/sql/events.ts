import type { NewEvent } from '../events/types';

export const EVENTS_CHANNEL = 'cm_events';

/** Longest list of types the append's NOTIFY carries (`events/notice.ts` reads it). */
const NOTICE_TYPES_MAX_CHARS = 7000;
/** Batches whose event data is larger than this are never sent in the notice (read them instead). */
const NOTICE_ROWS_MAX_DATA = 4000;
/** Payload bound, below PostgreSQL's 8,000 bytes. */
const NOTICE_MAX_BYTES = 7900;

/**
 * One statement appends a batch: it bumps event_head (whose row lock serialises appenders until
 * commit, so seq values become visible in order), inserts the rows and notifies the range, its
 * types and, when they fit, the rows themselves (`events/notice.ts`).
 */
export function appendEvents(events: NewEvent[]): { name: string; text: string; values: unknown[] } {
  return {
    name: 'cm_append_events',
    text: `WITH h AS (
        UPDATE event_head SET seq = seq + $1 RETURNING seq - $1 AS base
      ), ins AS (
        INSERT INTO events (seq, type, thread_id, turn_id, item_id, source, data, trace_id, span_id)
        SELECT h.base + e.ord, e.type, e.thread_id, e.turn_id, e.item_id, e.source, e.data::jsonb, e.trace_id, e.span_id
        FROM h, unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
          WITH ORDINALITY AS e(type, thread_id, turn_id, item_id, source, data, trace_id, span_id, ord)
        RETURNING seq, ts, type, thread_id, turn_id, item_id, source, data, trace_id, span_id
      ), head AS (
        SELECT min(seq) AS first, max(seq) AS last FROM ins
      ), types AS (
        SELECT string_agg(DISTINCT t, ',') AS list, bool_or(t ~ '[[:space:],]') AS odd FROM unnest($2::text[]) t
      ), line AS (
        SELECT concat_ws(' ', head.last, head.first,
          (SELECT CASE WHEN odd OR length(list) > ${NOTICE_TYPES_MAX_CHARS} THEN '*' ELSE list END FROM types)) AS text
        FROM head
      ), rows AS (
        SELECT json_agg(json_build_array(seq, ts::text, type, thread_id, turn_id, item_id, source, data, trace_id, span_id)
                        ORDER BY seq)::text AS text
        FROM ins WHERE (SELECT coalesce(sum(octet_length(d)), 0) FROM unnest($7::text[]) d) <= ${NOTICE_ROWS_MAX_DATA}
      )
      SELECT head.first, head.last, pg_notify('${EVENTS_CHANNEL}',
        CASE WHEN rows.text IS NOT NULL AND octet_length(line.text) + octet_length(rows.text) < ${NOTICE_MAX_BYTES}
             THEN line.text || E'\n' || rows.text ELSE line.text END)
      FROM head, line, rows`,
    values: [
      events.length,
      events.map((e) => e.type),
      events.map((e) => e.threadId ?? null),
      events.map((e) => e.turnId ?? null),
      events.map((e) => e.itemId ?? null),
      events.map((e) => e.source),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => e.traceId ?? null),
      events.map((e) => (e.traceId && e.spanId) || null),
    ],
  };
}

/** A type prefix as a LIKE pattern: `_`, `%` and `\` match themselves. */
const likePrefix = (p: string) => `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Events with `after < seq [<= upTo]`, oldest first, read in one snapshot together with the head and
 * the compaction mark: when `after` is below `compacted_below` no rows come back (only the mark), so
 * a reader can never be handed a range that compaction has thinned out. Thread and type filters are
 * applied here, so a reader that wants a few types is not sent every delta.
 */
export function readEvents(
  after: number,
  upTo: number | null,
  limit: number,
  filter: { threadIds?: string[]; typePrefixes?: string[] } = {},
) {
  const values: unknown[] = [after, limit];
  let where = 'seq > $1';
  // One prepared statement per shape of the query (readers run it at every wake-up).
  let name = 'cm_read_events';
  if (upTo !== null) {
    values.push(upTo);
    where += ` AND seq <= $${values.length}`;
    name += '_upto';
  }
  if (filter.threadIds && filter.threadIds.length > 0) {
    values.push(filter.threadIds);
    where += ` AND thread_id = ANY($${values.length}::text[])`;
    name += '_threads';
  }
  if (filter.typePrefixes && filter.typePrefixes.length > 0) {
    values.push(filter.typePrefixes.map(likePrefix));
    where += ` AND type LIKE ANY($${values.length}::text[])`;
    name += '_types';
  }
  return {
    name,
    text: `SELECT h.seq AS head, h.compacted_below, e.seq, e.ts, e.type, e.thread_id, e.turn_id, e.item_id, e.source, e.data, e.trace_id, e.span_id
           FROM event_head h
           LEFT JOIN LATERAL (
             SELECT * FROM events WHERE ${where} ORDER BY seq LIMIT $2
           ) e ON $1 >= h.compacted_below
           ORDER BY e.seq`,
    values,
  };
}

export const eventLogState = () => ({
  name: 'cm_event_log_state',
  text: 'SELECT seq AS head, compacted_below FROM event_head',
  values: [],
});
