-- Retention of delta events (see docs/architecture.md, "Retention"). Compaction deletes the streaming
-- deltas of finished turns once they are older than the retention; their item/completed events stay.
-- `compacted_below` is the low-water mark: every deleted seq is <= it, so a reader resuming from a
-- cursor >= compacted_below never meets a hole, and a cursor below it is refused as expired.
-- It lives on event_head so a reader sees the mark and the rows of one snapshot together.
ALTER TABLE event_head ADD COLUMN compacted_below bigint NOT NULL DEFAULT 0;

-- Compaction walks only the delta rows, oldest first. The predicate must stay identical to
-- DELTA_EVENT_TYPES in services/core/src/events/types.ts (a test compares them).
CREATE INDEX events_delta_seq ON events (seq)
  WHERE type IN (
    'runtime.item.agentMessage.delta',
    'runtime.item.commandExecution.outputDelta',
    'runtime.item.fileChange.outputDelta',
    'runtime.item.plan.delta',
    'runtime.item.reasoning.summaryTextDelta',
    'runtime.item.reasoning.textDelta'
  );
