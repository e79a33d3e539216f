-- Manager-owned metadata around runtime threads: projects, session metadata, supplemental transcript
-- rows, tombstones of deleted sessions, controls and settings with their audit trail.

CREATE TABLE projects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Names are unique regardless of case: "Backend" and "backend" in one sidebar would confuse anyone.
CREATE UNIQUE INDEX projects_name ON projects (lower(name));

ALTER TABLE sessions
  ADD COLUMN project_id uuid REFERENCES projects (id) ON DELETE SET NULL,
  ADD COLUMN archived boolean NOT NULL DEFAULT false,
  ADD COLUMN archived_at timestamptz,
  -- First user message, for text search without calling the runtime.
  ADD COLUMN preview text,
  ADD COLUMN forked_from text,
  ADD COLUMN dynamic_tools jsonb,
  -- What the runtime resolved when the thread was created: the fallback of effective controls.
  ADD COLUMN approval_policy jsonb,
  ADD COLUMN sandbox_policy jsonb,
  ADD COLUMN reasoning_effort text,
  -- Latest thread-level token usage reported by the runtime.
  ADD COLUMN token_usage jsonb;
-- Default list order (most recent activity first) and its cursor.
CREATE INDEX sessions_activity ON sessions (updated_at DESC, id DESC);
CREATE INDEX sessions_project ON sessions (project_id) WHERE project_id IS NOT NULL;

-- A forked thread keeps the turn ids of its source, so a turn id is unique only within a session.
ALTER TABLE turns DROP CONSTRAINT turns_pkey;
ALTER TABLE turns ADD PRIMARY KEY (session_id, id);
ALTER TABLE turns
  -- turn (a message), review (review/start) or compact (context compaction).
  ADD COLUMN kind text NOT NULL DEFAULT 'turn',
  ADD COLUMN duration_ms integer;

-- Manager-level hard delete: the session's metadata is gone, its id is remembered so that later
-- reads answer 410 instead of 404.
CREATE TABLE deleted_sessions (
  id text PRIMARY KEY,
  title text,
  deleted_at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  source text NOT NULL
);

-- Supplemental transcript rows (notes, reviews, suggestions written by clients and extensions),
-- keyed by a caller-chosen stable id so a repeated write updates instead of duplicating.
CREATE TABLE transcript_rows (
  session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  id text NOT NULL,
  turn_id text,
  after_item_id text,
  kind text NOT NULL,
  content jsonb NOT NULL,
  actor text NOT NULL,
  source text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, id)
);

-- Key/value settings and the controls tuple, per scope. `session_id` is '' for the default scope
-- (a primary key cannot hold NULL); session rows are removed with their session.
CREATE TABLE settings (
  scope text NOT NULL CHECK (scope IN ('default', 'session')),
  session_id text NOT NULL DEFAULT '',
  key text NOT NULL,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, session_id, key),
  CHECK ((scope = 'default') = (session_id = ''))
);

CREATE TABLE controls (
  scope text NOT NULL CHECK (scope IN ('default', 'session')),
  session_id text NOT NULL DEFAULT '',
  -- {model?, approvalPolicy?, sandbox?, networkAccess?}: only the fields this scope sets.
  controls jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, session_id),
  CHECK ((scope = 'default') = (session_id = ''))
);

-- Every write of settings, controls or the runtime's config: who, from which client, what changed.
-- Kept when the session is deleted.
CREATE TABLE settings_audit (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  target text NOT NULL CHECK (target IN ('settings', 'controls', 'runtimeConfig')),
  scope text NOT NULL CHECK (scope IN ('default', 'session', 'runtime')),
  session_id text,
  action text NOT NULL,
  -- [{key, before, after}] for every key whose value changed.
  changes jsonb NOT NULL,
  actor text NOT NULL,
  source text NOT NULL
);
CREATE INDEX settings_audit_session ON settings_audit (session_id, id) WHERE session_id IS NOT NULL;
