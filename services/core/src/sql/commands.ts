export const COMMANDS_CHANNEL = 'cm_commands';
export const COMMAND_DONE_CHANNEL = 'cm_command_done';

export interface CommandRow {
  id: string;
  method: string;
  params: Record<string, unknown>;
  thread_id: string | null;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'expired';
  result: unknown;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
  trace_context: Record<string, string> | null;
  requested_by: string;
  claimed_by: string | null;
  created_at: Date;
}

export const insertCommand = (
  id: string,
  method: string,
  params: unknown,
  threadId: string | null,
  trace: unknown,
  requestedBy: string,
  timeoutMs: number,
) => ({
  name: 'cm_insert_command',
  text: `WITH ins AS (
      INSERT INTO runtime_commands (id, method, params, thread_id, trace_context, requested_by, expires_at)
      VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7::double precision / 1000))
      RETURNING id
    ) SELECT pg_notify('${COMMANDS_CHANNEL}', id::text) FROM ins`,
  values: [
    id,
    method,
    JSON.stringify(params),
    threadId,
    trace === null ? null : JSON.stringify(trace),
    requestedBy,
    timeoutMs,
  ],
});

/** Claims the oldest pending, unexpired commands; concurrent claimers skip each other's rows. */
export const claimCommands = (claimer: string, limit: number) => ({
  name: 'cm_claim_commands',
  text: `UPDATE runtime_commands c SET status = 'running', claimed_by = $1, claimed_at = now()
         FROM (SELECT id FROM runtime_commands
               WHERE status = 'pending' AND expires_at > now()
               ORDER BY created_at, id FOR UPDATE SKIP LOCKED LIMIT $2) p
         WHERE c.id = p.id
         RETURNING c.*`,
  values: [claimer, limit],
});

/** Outcomes up to this size travel inside the cm_command_done NOTIFY (PostgreSQL's limit is 8,000). */
const OUTCOME_IN_NOTICE_BYTES = 7800;

/** A finished command as its cm_command_done NOTIFY tells it: the outcome, or just the id to read. */
export function parseCommandDone(payload: string): {
  id: string;
  outcome: Pick<CommandRow, 'status' | 'result' | 'error'> | null;
} {
  const space = payload.indexOf(' ');
  if (space < 0) return { id: payload, outcome: null };
  try {
    return {
      id: payload.slice(0, space),
      outcome: JSON.parse(payload.slice(space + 1)) as Pick<CommandRow, 'status' | 'result' | 'error'>,
    };
  } catch {
    return { id: payload.slice(0, space), outcome: null };
  }
}

export const finishCommand = (
  id: string,
  status: 'succeeded' | 'failed',
  result: unknown,
  error: unknown,
) => ({
  name: 'cm_finish_command',
  // The NOTIFY carries the outcome (`<id> <json>`) when it fits a payload, else only the id.
  text: `WITH u AS (
      UPDATE runtime_commands SET status = $2, result = $3, error = $4, completed_at = now()
      WHERE id = $1 AND status = 'running' RETURNING id, status, result, error
    ), o AS (SELECT id, json_build_object('status', status, 'result', result, 'error', error)::text AS j FROM u)
    SELECT pg_notify('${COMMAND_DONE_CHANNEL}',
                     CASE WHEN octet_length(j) < ${OUTCOME_IN_NOTICE_BYTES} THEN id::text || ' ' || j ELSE id::text END)
    FROM o`,
  values: [
    id,
    status,
    result === undefined ? null : JSON.stringify(result),
    error === null ? null : JSON.stringify(error),
  ],
});

/** Expires a command nobody claimed in time, so a late runtime-bridge never runs it. */
export const expireCommand = (id: string) => ({
  text: `UPDATE runtime_commands SET status = 'expired', completed_at = now()
         WHERE id = $1 AND status = 'pending' RETURNING id`,
  values: [id],
});

export const getCommand = (id: string) => ({
  name: 'cm_get_command',
  text: 'SELECT * FROM runtime_commands WHERE id = $1',
  values: [id],
});
