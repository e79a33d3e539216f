-- The "needs you" inbox: one row per open item that waits for a person, maintained by the inbox
-- projector (extension-host) from the event log, in the same transaction as its cursor, so every
-- cause is applied exactly once. Items of requests leave when the request is resolved or expires;
-- failed turns, long turns and failed jobs leave when dismissed (or, for a job, retried).
CREATE TABLE inbox_items (
  id text PRIMARY KEY,
  kind text NOT NULL
    CHECK (kind IN ('approval', 'question', 'toolCall', 'failedTurn', 'longTurn', 'failedJob')),
  -- The event that put the item here: the list's order and cursor.
  seq bigint NOT NULL,
  created_at timestamptz NOT NULL,
  session_id text,
  turn_id text,
  request_id uuid,
  job_id uuid,
  title text NOT NULL,
  detail jsonb NOT NULL
);
CREATE INDEX inbox_items_seq ON inbox_items (seq DESC);
CREATE INDEX inbox_items_session ON inbox_items (session_id, seq DESC);

-- Dismissed items, so a repeated dismiss is recognised and nothing brings them back.
CREATE TABLE inbox_dismissals (
  id text PRIMARY KEY,
  kind text NOT NULL,
  actor text NOT NULL,
  source text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);

-- How far the inbox projector has read the event log (one row).
CREATE TABLE inbox_cursor (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq bigint NOT NULL
);
INSERT INTO inbox_cursor (seq) VALUES (0);

-- Usage is summed from the runtime's own usage notifications; these keep those reads off a scan.
CREATE INDEX events_token_usage ON events (thread_id, seq) WHERE type = 'runtime.thread.tokenUsage.updated';
CREATE INDEX events_rate_limits ON events (seq) WHERE type = 'runtime.account.rateLimits.updated';
