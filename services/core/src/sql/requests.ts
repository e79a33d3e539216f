import type { RequestKind, RequestStatus } from '../requests/model';

/**
 * Rows still waiting for something: a decision, or the delivery of one (a request the runtime
 * withdrew has no response to deliver).
 */
const OPEN = `(status = 'pending' OR (status = 'resolved' AND answered_at IS NULL AND response IS NOT NULL))`;

export const insertRequest = (r: {
  id: string;
  kind: RequestKind;
  method: string;
  sessionId: string;
  turnId: string | null;
  itemId: string | null;
  params: unknown;
  availableDecisions: unknown[] | null;
  generation: string;
  rpcId: number | string;
}) => ({
  text: `INSERT INTO server_requests
           (id, kind, method, session_id, turn_id, item_id, params, available_decisions, runtime_generation, rpc_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (runtime_generation, rpc_id) DO NOTHING
         RETURNING *`,
  values: [
    r.id,
    r.kind,
    r.method,
    r.sessionId,
    r.turnId,
    r.itemId,
    JSON.stringify(r.params),
    r.availableDecisions === null ? null : JSON.stringify(r.availableDecisions),
    r.generation,
    JSON.stringify(r.rpcId),
  ],
});

/**
 * The one state transition of a decision: only a pending row changes, so of concurrent deciders
 * exactly one gets a row back. `answered` is set when the caller answers the runtime itself right
 * after this commits (policy decisions in the bridge).
 */
export const resolveRequest = (
  id: string,
  r: { decision: string; response: unknown; hash: string | null; actor: string; source: string },
  answered = false,
) => ({
  name: 'cm_resolve_request',
  text: `UPDATE server_requests SET status = 'resolved', decision = $2, response = $3, response_hash = $4,
           resolved_actor = $5, resolved_source = $6, resolved_at = now(),
           answered_at = CASE WHEN $7::boolean THEN now() END
         WHERE id = $1 AND status = 'pending'
         RETURNING *`,
  values: [
    id,
    r.decision,
    r.response === null ? null : JSON.stringify(r.response),
    r.hash,
    r.actor,
    r.source,
    answered,
  ],
});

export const getRequest = (id: string) => ({
  name: 'cm_get_request',
  text: 'SELECT * FROM server_requests WHERE id = $1',
  values: [id],
});

export const listRequests = (
  sessionId: string,
  kinds: readonly RequestKind[],
  status: RequestStatus | null,
) => ({
  text: `SELECT * FROM server_requests
         WHERE session_id = $1 AND kind = ANY($2::text[]) AND ($3::text IS NULL OR status = $3)
         ORDER BY created_at, id LIMIT 500`,
  values: [sessionId, kinds, status],
});

/**
 * Takes the right to write the answer: only a decided, undelivered row of this very process. Run
 * and committed before the write, so a second attempt (a repeated command, the sweeper) finds
 * answered_at set and writes nothing.
 */
export const claimDelivery = (id: string, generation: string) => ({
  text: `UPDATE server_requests SET answered_at = now()
         WHERE id = $1 AND status = 'resolved' AND answered_at IS NULL AND response IS NOT NULL
           AND runtime_generation = $2
         RETURNING *`,
  values: [id, generation],
});

/** Decided, undelivered rows of this process (delivery that no command carried). */
export const undelivered = (generation: string) => ({
  text: `SELECT id FROM server_requests
         WHERE status = 'resolved' AND answered_at IS NULL AND response IS NOT NULL
           AND runtime_generation = $1
         ORDER BY resolved_at`,
  values: [generation],
});

/**
 * Open rows whose process is gone become expired. `keep` is the live generation (null: none is
 * alive, e.g. at bridge start); `only`, when given, limits it to one row.
 */
export const expireOpen = (keep: string | null, reason: string, only: string | null = null) => ({
  text: `UPDATE server_requests SET status = 'expired', expired_at = now(), expired_reason = $2
         WHERE ${OPEN} AND runtime_generation IS DISTINCT FROM $1 AND ($3::uuid IS NULL OR id = $3)
         RETURNING *`,
  values: [keep, reason, only],
});

/** Open rows of one process that has exited. */
export const expireGeneration = (generation: string, reason: string) => ({
  text: `UPDATE server_requests SET status = 'expired', expired_at = now(), expired_reason = $2
         WHERE ${OPEN} AND runtime_generation = $1
         RETURNING *`,
  values: [generation, reason],
});

/** Pending rows the runtime withdrew: by JSON-RPC id (serverRequest/resolved) or by ended turn. */
export const pendingOf = (generation: string, by: { rpcId: number | string } | { turnId: string }) =>
  'rpcId' in by
    ? {
        text: `SELECT * FROM server_requests WHERE runtime_generation = $1 AND rpc_id = $2 AND status = 'pending'`,
        values: [generation, JSON.stringify(by.rpcId)],
      }
    : {
        text: `SELECT * FROM server_requests WHERE runtime_generation = $1 AND turn_id = $2 AND status = 'pending'`,
        values: [generation, by.turnId],
      };

/** After delivery, answers to secret questions need not be kept. */
export const replaceResponse = (id: string, response: unknown) => ({
  text: 'UPDATE server_requests SET response = $2 WHERE id = $1',
  values: [id, JSON.stringify(response)],
});
