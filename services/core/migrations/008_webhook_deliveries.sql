-- Webhook deliveries: one row per (target, inbox event), whose id is the X-CM-Delivery header a
-- receiver dedupes on, and one row per attempt with what the target answered and how long it took.
-- Secrets are never stored; the URL is kept as configured and redacted when read through the API.
CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY,
  job_id uuid,
  target text NOT NULL,
  url text NOT NULL,
  event text NOT NULL,
  event_seq bigint NOT NULL,
  item_id text NOT NULL,
  item_kind text NOT NULL,
  session_id text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  UNIQUE (target, event_seq)
);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_item ON webhook_deliveries (item_id);

CREATE TABLE webhook_delivery_attempts (
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  status_code integer,
  error text,
  PRIMARY KEY (delivery_id, attempt)
);
