import { randomUUID } from 'node:crypto';
import {
  requestCreatedEvent,
  requestKindOf,
  requestPolicySchema,
  requestResolvedEvent,
  requestSql,
  responseHash,
  policyResolution,
  DEFAULT_REQUEST_POLICY,
  type Logger,
  type NewEvent,
  type PoolClient,
  type RequestPolicy,
  type RequestRow,
} from '@codex-manager/core';
import type { RequestId } from '../app-server/protocol';

export const SOURCE = 'runtime-bridge';

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

export interface Intake {
  row: RequestRow;
  events: NewEvent[];
  /** Set when the session's policy decided at once: the result to send right after commit. */
  answer?: unknown;
}

/**
 * Stores one server request (and, for a session that never waits for a human, its policy decision)
 * inside the caller's transaction. `unsupported`: not one of the four kinds, or without the thread
 * id every one of them carries; `duplicate`: this process already asked with this id.
 */
export async function recordRequest(
  db: PoolClient,
  generation: string,
  rpcId: RequestId,
  method: string,
  params: Record<string, unknown>,
  log: Logger,
): Promise<Intake | 'unsupported' | 'duplicate'> {
  const kind = requestKindOf(method);
  const sessionId = str(params.threadId);
  if (!kind || !sessionId) return 'unsupported';
  const inserted = await db.query<RequestRow>(
    requestSql.insertRequest({
      id: randomUUID(),
      kind,
      method,
      sessionId,
      turnId: str(params.turnId),
      // Tool calls name their item by callId (the dynamicToolCall item has that id).
      itemId: str(params.itemId) ?? str(params.callId),
      params,
      availableDecisions:
        kind === 'commandApproval' && Array.isArray(params.availableDecisions)
          ? params.availableDecisions
          : null,
      generation,
      rpcId,
    }),
  );
  const row = inserted.rows[0];
  if (!row) return 'duplicate';
  const events = [requestCreatedEvent(row, SOURCE)];
  const policy = await policyFor(db, sessionId, log);
  if (!policy) return { row, events };

  const resolution = policyResolution(row, policy);
  const decided = await db.query<RequestRow>(
    requestSql.resolveRequest(
      row.id,
      {
        decision: resolution.decision,
        response: resolution.response,
        hash: responseHash(resolution.response),
        actor: 'policy',
        source: SOURCE,
      },
      true,
    ),
  );
  const done = decided.rows[0]!;
  events.push(
    requestResolvedEvent(done, SOURCE, resolution.fallback ? { policyWanted: resolution.fallback } : {}),
  );
  return { row: done, events, answer: resolution.response };
}

/**
 * The policy that decides this session's requests, or null when a human decides. System-owned
 * sessions always have one (the default when none is stored); a stored policy that no longer
 * parses falls back to the default there, and to a human elsewhere.
 */
async function policyFor(db: PoolClient, sessionId: string, log: Logger): Promise<RequestPolicy | null> {
  const { rows } = await db.query<{ system_owned: boolean; request_policy: unknown }>(
    'SELECT system_owned, request_policy FROM sessions WHERE id = $1',
    [sessionId],
  );
  const s = rows[0];
  if (!s || (!s.system_owned && s.request_policy === null)) return null;
  if (s.request_policy === null) return DEFAULT_REQUEST_POLICY;
  const parsed = requestPolicySchema.safeParse(s.request_policy);
  if (parsed.success) return parsed.data;
  log.error({ sessionId, issues: parsed.error.issues }, 'stored request policy is invalid');
  return s.system_owned ? DEFAULT_REQUEST_POLICY : null;
}
