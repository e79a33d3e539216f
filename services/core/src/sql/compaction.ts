import { DELTA_EVENT_TYPES } from '../events/types';

// Spelled out (not a parameter) so the planner can use the partial index events_delta_seq, whose
// predicate in migrations/004_event_retention.sql is this same list.
const DELTA_TYPES_SQL = DELTA_EVENT_TYPES.map((t) => `'${t}'`).join(', ');

/** Any constant works; every process that compacts this database must use the same one. */
export const COMPACTION_LOCK = 727_100_004;

/** The cutoff time (now minus the retention), taken from the database clock like `events.ts`. */
export const compactionCutoff = (retentionMs: number) => ({
  text: `SELECT now() - make_interval(secs => $1::double precision / 1000) AS cutoff`,
  values: [retentionMs],
});

/** The first event at or after `from` (and before `below`): one probe of the binary search. */
export const probeEvent = (from: number, below: number, cutoff: Date) => ({
  name: 'cm_compaction_probe',
  text: `SELECT seq, ts < $3 AS old FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq LIMIT 1`,
  values: [from, below, cutoff],
});

/**
 * Deletes up to `limit` delta events at or below `bound` (and older than `cutoff`, should append
 * times ever disagree with seq order) whose turn is not in progress, and raises
 * the low-water mark to the highest seq deleted, in the caller's transaction.
 */
export const deleteDeltas = (bound: number, cutoff: Date, limit: number) => ({
  text: `WITH victims AS (
      SELECT e.seq FROM events e
      WHERE e.type IN (${DELTA_TYPES_SQL}) AND e.seq <= $1 AND e.ts < $3
        AND NOT EXISTS (SELECT 1 FROM turns t WHERE t.id = e.turn_id AND t.status = 'inProgress')
      ORDER BY e.seq LIMIT $2
    ), del AS (
      DELETE FROM events WHERE seq IN (SELECT seq FROM victims) RETURNING seq
    ), mark AS (
      UPDATE event_head SET compacted_below = GREATEST(compacted_below, (SELECT max(seq) FROM del))
      WHERE EXISTS (SELECT 1 FROM del) RETURNING compacted_below
    )
    SELECT (SELECT count(*) FROM del)::int AS deleted, (SELECT compacted_below FROM mark) AS mark`,
  values: [bound, limit, cutoff],
});
