import { createHash } from 'node:crypto';

/**
 * Server requests as the manager sees them. The runtime asks with four methods; each becomes one
 * kind. Anything else the runtime asks is answered with a JSON-RPC error by the runtime-bridge.
 */
export const REQUEST_KIND_BY_METHOD = {
  'item/commandExecution/requestApproval': 'commandApproval',
  'item/fileChange/requestApproval': 'fileChangeApproval',
  'item/tool/requestUserInput': 'userInput',
  'item/tool/call': 'toolCall',
} as const;

/** The runtime command that carries a recorded decision to the runtime-bridge: `{requestId}`. */
export const RESPOND_COMMAND = 'serverRequest/respond';

export type RequestKind = (typeof REQUEST_KIND_BY_METHOD)[keyof typeof REQUEST_KIND_BY_METHOD];
export type RequestStatus = 'pending' | 'resolved' | 'expired';

export const APPROVAL_KINDS: readonly RequestKind[] = ['commandApproval', 'fileChangeApproval'];

export const requestKindOf = (method: string): RequestKind | undefined =>
  (REQUEST_KIND_BY_METHOD as Record<string, RequestKind>)[method];

/** A `server_requests` row. */
export interface RequestRow {
  id: string;
  kind: RequestKind;
  method: string;
  session_id: string;
  turn_id: string | null;
  item_id: string | null;
  params: Record<string, unknown>;
  available_decisions: unknown[] | null;
  runtime_generation: string;
  rpc_id: number | string;
  status: RequestStatus;
  decision: string | null;
  response: unknown;
  response_hash: string | null;
  resolved_actor: string | null;
  resolved_source: string | null;
  resolved_at: Date | null;
  answered_at: Date | null;
  expired_at: Date | null;
  expired_reason: string | null;
  created_at: Date;
}

/** Who took a decision: `actor` (a user, `extension:<name>`, `policy`, `runtime`) and `source` (client). */
export interface Decider {
  actor: string;
  source: string;
}

/** A decision about to be taken: the summary name and the exact JSON-RPC result for the runtime. */
export interface Resolution {
  decision: string;
  response: unknown;
}

/** Keys sorted at every level, so equal values hash equally whatever order a client sent. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

export const responseHash = (response: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(canonical(response ?? null)))
    .digest('hex');

const REDACTED = '[redacted]';

/** Ids of questions marked `isSecret`: their answers are sent to the runtime and nowhere else. */
export function secretQuestionIds(params: Record<string, unknown>): Set<string> {
  const questions = Array.isArray(params.questions) ? (params.questions as Record<string, unknown>[]) : [];
  return new Set(questions.filter((q) => q?.isSecret === true).map((q) => String(q.id)));
}

/** The response as it may be shown or logged: answers to secret questions replaced. */
export function redactResponse(
  kind: RequestKind,
  params: Record<string, unknown>,
  response: unknown,
): unknown {
  if (kind !== 'userInput' || !response || typeof response !== 'object') return response;
  const secret = secretQuestionIds(params);
  if (secret.size === 0) return response;
  const answers = (response as { answers?: Record<string, { answers: string[] }> }).answers ?? {};
  return {
    ...response,
    answers: Object.fromEntries(
      Object.entries(answers).map(([id, a]) => [
        id,
        secret.has(id) ? { answers: a.answers.map(() => REDACTED) } : a,
      ]),
    ),
  };
}

/** What clients see of a request (REST and events). */
export interface RequestView {
  id: string;
  kind: RequestKind;
  method: string;
  sessionId: string;
  turnId: string | null;
  itemId: string | null;
  status: RequestStatus;
  /** The runtime's request params verbatim. */
  params: Record<string, unknown>;
  /** Approvals: the decisions this API accepts for the request; null for other kinds. */
  decisions: string[] | null;
  decision: string | null;
  /** What the runtime was (or will be) sent; answers to secret questions redacted. */
  response: unknown;
  resolvedBy: Decider | null;
  resolvedAt: string | null;
  /** When the answer was written to the runtime; null while it is still on its way. */
  answeredAt: string | null;
  expiredAt: string | null;
  expiredReason: string | null;
  createdAt: string;
}

export function toRequestView(r: RequestRow, decisions: string[] | null): RequestView {
  return {
    id: r.id,
    kind: r.kind,
    method: r.method,
    sessionId: r.session_id,
    turnId: r.turn_id,
    itemId: r.item_id,
    status: r.status,
    params: r.params,
    decisions,
    decision: r.decision,
    response: r.response === null ? null : redactResponse(r.kind, r.params, r.response),
    resolvedBy:
      r.resolved_actor === null ? null : { actor: r.resolved_actor, source: r.resolved_source ?? 'unknown' },
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    answeredAt: r.answered_at?.toISOString() ?? null,
    expiredAt: r.expired_at?.toISOString() ?? null,
    expiredReason: r.expired_reason,
    createdAt: r.created_at.toISOString(),
  };
}
