-- Trace links across services. An event names the span that caused it (with its trace id), so the
-- services that react to it (stream fan-out, extensions) continue the same trace; a job keeps the
-- trace context of whoever queued it, so its attempts and worker turns join that trace.
ALTER TABLE events ADD COLUMN span_id text;
ALTER TABLE jobs ADD COLUMN trace_context jsonb;
