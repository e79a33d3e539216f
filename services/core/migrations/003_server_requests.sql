-- Server requests (invariant 3): approvals, user-input questions and dynamic tool calls the runtime
-- asked us to answer. The runtime-bridge inserts a row per request; a decision is one conditional
-- UPDATE (status 'pending' -> 'resolved'), so concurrent deciders cannot both win; the bridge then
-- answers the JSON-RPC id once, stamping answered_at before it writes (a second delivery attempt
-- finds it set and writes nothing).
--
-- A JSON-RPC id is only meaningful to the app-server process that issued it (ids restart at 0 in
-- every process), so each row remembers that process's generation. When the process is gone, its
-- open rows (pending, or decided but not yet delivered) become 'expired'.
CREATE TABLE server_requests (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('commandApproval', 'fileChangeApproval', 'userInput', 'toolCall')),
  method text NOT NULL,
  session_id text NOT NULL,
  turn_id text,
  item_id text,
  params jsonb NOT NULL,
  -- Approvals only: the runtime's availableDecisions verbatim (null: the runtime listed none).
  available_decisions jsonb,
  runtime_generation text NOT NULL,
  rpc_id jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved', 'expired')),
  -- accept|acceptForSession|acceptWithExecpolicyAmendment|applyNetworkPolicyAmendment|decline|cancel
  -- for approvals, answer for questions, respond for tool calls; cancel when the runtime withdrew it.
  decision text,
  -- The JSON-RPC result sent (or to be sent) to the runtime; null when the runtime withdrew it.
  response jsonb,
  -- sha256 of the canonical response: a repeated decision is recognised even after secret answers
  -- have been scrubbed from `response`.
  response_hash text,
  resolved_actor text,
  resolved_source text,
  resolved_at timestamptz,
  answered_at timestamptz,
  expired_at timestamptz,
  expired_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (runtime_generation, rpc_id)
);
CREATE INDEX server_requests_session ON server_requests (session_id, created_at);
CREATE INDEX server_requests_open ON server_requests (runtime_generation)
  WHERE status = 'pending' OR (status = 'resolved' AND answered_at IS NULL AND response IS NOT NULL);

-- How the runtime-bridge decides this session's requests itself, with no human asked: set for
-- system-owned worker sessions (a missing policy there means the default policy); null elsewhere.
ALTER TABLE sessions ADD COLUMN request_policy jsonb;
