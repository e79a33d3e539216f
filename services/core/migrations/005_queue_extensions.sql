-- Background jobs and extensions. pg-boss keeps its own schema (`pgboss`, created by pg-boss on the
-- first start of a queue user); these tables are the manager's view of that work.

-- Worker sessions: system-owned threads keyed `owner::agent` (owner = a project id or
-- `session:<id>`). The key is cleared when a worker session is found stale and replaced.
ALTER TABLE sessions ADD COLUMN worker_key text;
CREATE UNIQUE INDEX sessions_worker_key ON sessions (worker_key) WHERE worker_key IS NOT NULL;

-- One row per job, written in the same transaction as the pg-boss job change and its `job.*`
-- event, so routes read jobs without touching pg-boss internals. `id` is the pg-boss job id.
CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  type text NOT NULL,
  status text NOT NULL
    CHECK (status IN ('queued', 'running', 'retrying', 'completed', 'failed', 'canceled')),
  payload jsonb NOT NULL,
  dedupe_key text,
  priority integer NOT NULL DEFAULT 0,
  session_id text,
  project_id text,
  -- Who asked: a user (`X-Actor`), `extension:<name>`, or `system`; and through which client.
  requested_by text NOT NULL,
  source text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  timeout_ms integer NOT NULL,
  -- The queue-worker instance running the current attempt, and the worker turn it started.
  worker_id text,
  worker_thread_id text,
  worker_turn_id text,
  output jsonb,
  error jsonb,
  dead_letter text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  completed_at timestamptz
);
-- Dedupe: at most one unfinished job per (type, key); a burst of identical triggers yields one job.
CREATE UNIQUE INDEX jobs_dedupe ON jobs (type, dedupe_key)
  WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running', 'retrying');
CREATE INDEX jobs_created ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_session ON jobs (session_id, created_at DESC) WHERE session_id IS NOT NULL;
CREATE INDEX jobs_project ON jobs (project_id, created_at DESC) WHERE project_id IS NOT NULL;
CREATE INDEX jobs_unfinished ON jobs (status) WHERE status IN ('queued', 'running', 'retrying');

-- Extensions: each extension's durable cursor on the event log (at-least-once delivery).
CREATE TABLE extension_cursors (
  name text PRIMARY KEY,
  seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The extension host's inventory, rewritten on every load and reload, stats flushed periodically.
CREATE TABLE extensions (
  name text PRIMARY KEY,
  version text,
  origin text NOT NULL,
  path text NOT NULL,
  core_api text,
  compatible boolean NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'incompatible', 'invalid', 'disabled')),
  trust text NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  events jsonb NOT NULL DEFAULT '[]',
  capabilities jsonb NOT NULL DEFAULT '[]',
  handler_stats jsonb NOT NULL DEFAULT '{}',
  last_errors jsonb NOT NULL DEFAULT '[]',
  load_error text,
  loaded_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Reload requests and their outcome: the audit trail of every reload. At most one is pending or
-- running at a time (a concurrent request is refused with 409).
CREATE TABLE extension_reloads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
  requested_by text NOT NULL,
  source text NOT NULL,
  result jsonb,
  error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE UNIQUE INDEX extension_reloads_one_active ON extension_reloads ((true))
  WHERE status IN ('pending', 'running');
CREATE INDEX extension_reloads_created ON extension_reloads (created_at DESC);
