import type { NewEvent } from '../events/types';
import { APPROVAL_KINDS, redactResponse, type RequestRow } from './model';
import { approvalDecisionsFor } from './resolutions';

/**
 * The `request.*` events. Each carries the request id and kind; the envelope locates it (thread =
 * session, turn, item). Secret answers never reach the log.
 */
const envelope = (row: RequestRow, type: string, source: string, data: Record<string, unknown>): NewEvent => {
  const e: NewEvent = {
    type,
    threadId: row.session_id,
    source,
    data: { requestId: row.id, kind: row.kind, ...data },
  };
  if (row.turn_id) e.turnId = row.turn_id;
  if (row.item_id) e.itemId = row.item_id;
  return e;
};

export const decisionsOf = (row: RequestRow): string[] | null =>
  APPROVAL_KINDS.includes(row.kind) ? approvalDecisionsFor(row) : null;

export const requestCreatedEvent = (row: RequestRow, source: string): NewEvent =>
  envelope(row, 'request.created', source, {
    method: row.method,
    params: row.params,
    decisions: decisionsOf(row),
  });

export const requestResolvedEvent = (
  row: RequestRow,
  source: string,
  extra: Record<string, unknown> = {},
): NewEvent =>
  envelope(row, 'request.resolved', source, {
    decision: row.decision,
    response: row.response === null ? null : redactResponse(row.kind, row.params, row.response),
    resolvedBy: { actor: row.resolved_actor, source: row.resolved_source },
    ...extra,
  });

export const requestExpiredEvent = (
  row: RequestRow,
  source: string,
  details: Record<string, unknown> = {},
): NewEvent =>
  envelope(row, 'request.expired', source, {
    reason: row.expired_reason,
    // A decision taken but never delivered is kept on record.
    ...(row.decision ? { undeliveredDecision: row.decision } : {}),
    ...details,
  });
