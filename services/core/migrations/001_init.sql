-- Event log: global, gap-free delivery order. `seq` is assigned from event_head inside the appending
-- transaction; the row lock on event_head serialises appenders until commit, so a reader that sees
-- seq N has already been able to see every seq < N (invariant 2).
CREATE TABLE event_head (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq bigint NOT NULL
);
INSERT INTO event_head (id, seq) VALUES (true, 0);

CREATE TABLE events (
  seq bigint PRIMARY KEY,
  ts timestamptz NOT NULL DEFAULT now(),
  type text NOT NULL,
  thread_id text,
  turn_id text,
  item_id text,
  source text NOT NULL,
  data jsonb NOT NULL,
  trace_id text
);
CREATE INDEX events_thread_seq ON events (thread_id, seq) WHERE thread_id IS NOT NULL;

-- Runtime commands: written by the gateway (or any service), claimed by a runtime-bridge with
-- FOR UPDATE SKIP LOCKED, result written back and the caller woken by NOTIFY cm_command_done.
CREATE TABLE runtime_commands (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  method text NOT NULL,
  params jsonb NOT NULL,
  thread_id text,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'expired')),
  result jsonb,
  error jsonb,
  trace_context jsonb,
  requested_by text NOT NULL DEFAULT 'system',
  claimed_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  claimed_at timestamptz,
  completed_at timestamptz,
  expires_at timestamptz NOT NULL
);
CREATE INDEX runtime_commands_pending ON runtime_commands (created_at) WHERE status = 'pending';

-- Idempotency-Key: the first result of a mutating call, returned again for a repeat.
CREATE TABLE idempotency_keys (
  scope text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  status_code integer,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (scope, key)
);

-- One row per running service instance.
CREATE TABLE service_heartbeats (
  instance_id text PRIMARY KEY,
  service text NOT NULL,
  pid integer NOT NULL,
  host text NOT NULL,
  status text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  started_at timestamptz NOT NULL DEFAULT now(),
  beat_at timestamptz NOT NULL DEFAULT now()
);

-- Read models maintained by the runtime-bridge from runtime results and events.
-- A session is a runtime thread plus manager metadata; its id is the runtime thread id.
CREATE TABLE sessions (
  id text PRIMARY KEY,
  title text,
  cwd text,
  model text,
  model_provider text,
  status text NOT NULL DEFAULT 'idle',
  system_owned boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE turns (
  id text PRIMARY KEY,
  session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  status text NOT NULL,
  error jsonb,
  usage jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX turns_session ON turns (session_id, started_at);
CREATE INDEX turns_active ON turns (status) WHERE status = 'inProgress';
