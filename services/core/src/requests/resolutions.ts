import { isDeepStrictEqual } from 'node:util';
import { invalidRequest } from '../errors';
import type { RequestRow, Resolution } from './model';

/**
 * Turning a decision into the exact JSON-RPC result the runtime expects (codex-app-server-0.169.md
 * §2), after checking it against what the runtime asked. Everything here throws `invalid_request`
 * before any state changes.
 */

export const APPROVAL_DECISIONS = [
  'accept',
  'acceptForSession',
  'acceptWithExecpolicyAmendment',
  'applyNetworkPolicyAmendment',
  'decline',
  'cancel',
] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

/** When the runtime lists no availableDecisions (file changes never do), these are the answers it takes. */
const DEFAULT_OFFER: ApprovalDecision[] = ['accept', 'acceptForSession', 'decline', 'cancel'];
/**
 * Refusing is always possible. The runtime honours `decline` (the model is told the user rejected
 * it and the turn goes on) and `cancel` (the turn ends interrupted) for every approval, even when
 * its list leaves them out: for `scn:exec` under `untrusted` it offers only
 * `["accept", {acceptWithExecpolicyAmendment}, "cancel"]` yet answers `decline` as documented.
 * What must be offered are the decisions that grant something.
 */
const ALWAYS: ApprovalDecision[] = ['decline', 'cancel'];

const nameOf = (d: unknown): string | null =>
  typeof d === 'string' ? d : d && typeof d === 'object' ? (Object.keys(d)[0] ?? null) : null;

/** The decisions this API accepts for an approval, in a stable order. */
export function approvalDecisionsFor(row: Pick<RequestRow, 'available_decisions'>): ApprovalDecision[] {
  const offered = row.available_decisions
    ? row.available_decisions.map(nameOf).filter((n): n is string => n !== null)
    : DEFAULT_OFFER;
  const names = new Set<string>([...offered, ...ALWAYS]);
  return APPROVAL_DECISIONS.filter((d) => names.has(d));
}

export interface ApprovalInput {
  decision: ApprovalDecision;
  /** Which proposed network amendment to apply, when the runtime proposed several. */
  networkPolicyAmendment?: { host: string; action: 'allow' | 'deny' } | undefined;
}

export function approvalResolution(row: RequestRow, input: ApprovalInput): Resolution {
  const allowed = approvalDecisionsFor(row);
  if (!allowed.includes(input.decision)) {
    throw invalidRequest(
      `the runtime did not offer "${input.decision}" for this request; offered: ${allowed.join(', ')}`,
      { decision: input.decision, offered: allowed },
    );
  }
  if (input.decision !== 'applyNetworkPolicyAmendment' && input.networkPolicyAmendment !== undefined)
    throw invalidRequest('networkPolicyAmendment goes only with the applyNetworkPolicyAmendment decision');
  if (input.decision === 'acceptWithExecpolicyAmendment') {
    // The amendment is the runtime's proposal, never the client's: a client cannot widen it.
    const offered = (row.available_decisions ?? []).find((d) => nameOf(d) === input.decision);
    return { decision: input.decision, response: { decision: offered } };
  }
  if (input.decision === 'applyNetworkPolicyAmendment') {
    const candidates = (row.available_decisions ?? []).filter((d) => nameOf(d) === input.decision) as {
      applyNetworkPolicyAmendment: { network_policy_amendment: unknown };
    }[];
    const wanted = input.networkPolicyAmendment;
    const chosen = wanted
      ? candidates.find((c) =>
          isDeepStrictEqual(c.applyNetworkPolicyAmendment.network_policy_amendment, wanted),
        )
      : candidates.length === 1
        ? candidates[0]
        : undefined;
    if (!chosen) {
      throw invalidRequest(
        wanted
          ? 'that network policy amendment was not proposed for this request'
          : 'several network policy amendments were proposed; pick one with networkPolicyAmendment',
        { proposed: candidates.map((c) => c.applyNetworkPolicyAmendment.network_policy_amendment) },
      );
    }
    return { decision: input.decision, response: { decision: chosen } };
  }
  return { decision: input.decision, response: { decision: input.decision } };
}

interface Question {
  id: string;
  isOther?: boolean;
  options?: { label: string }[] | null;
}

const questionsOf = (row: Pick<RequestRow, 'params'>): Question[] =>
  Array.isArray(row.params.questions) ? (row.params.questions as Question[]) : [];

/** Answers by question id: every question answered, no unknown ids, options respected. */
export function userInputResolution(row: RequestRow, answers: Record<string, string[]>): Resolution {
  const questions = questionsOf(row);
  const ids = new Set(questions.map((q) => q.id));
  const unknown = Object.keys(answers).filter((id) => !ids.has(id));
  if (unknown.length > 0)
    throw invalidRequest(`no question with id ${unknown.join(', ')} in this request`, {
      unknownQuestions: unknown,
      questions: [...ids],
    });
  const missing = questions.filter((q) => !(q.id in answers)).map((q) => q.id);
  if (missing.length > 0)
    throw invalidRequest(`answer every question; missing: ${missing.join(', ')}`, {
      missingAnswers: missing,
    });
  for (const q of questions) {
    const labels = (q.options ?? []).map((o) => o.label);
    if (q.isOther || labels.length === 0) continue;
    const bad = answers[q.id]!.filter((a) => !labels.includes(a));
    if (bad.length > 0)
      throw invalidRequest(`question ${q.id} takes one of its options: ${labels.join(', ')}`, {
        question: q.id,
        options: labels,
        invalid: bad,
      });
  }
  return {
    decision: 'answer',
    response: {
      answers: Object.fromEntries(questions.map((q) => [q.id, { answers: answers[q.id]! }])),
    },
  };
}

export type ToolContentItem =
  | { type: 'inputText'; text: string }
  | { type: 'inputImage'; imageUrl: string }
  | { type: 'inputAudio'; audioUrl: string };

export function toolCallResolution(input: { contentItems: ToolContentItem[]; success: boolean }): Resolution {
  return { decision: 'respond', response: { contentItems: input.contentItems, success: input.success } };
}

/** The runtime withdrew the request itself (turn interrupted or ended): nothing is sent. */
export const WITHDRAWN: Resolution = { decision: 'cancel', response: null };

/**
 * Whether `resolution` repeats what was already decided. A request the runtime withdrew counts as
 * cancelled, so a client's `cancel` after an interrupt is a repeat, not a conflict.
 */
export function sameResolution(row: RequestRow, resolution: Resolution, hash: string): boolean {
  if (row.decision !== resolution.decision) return false;
  if (row.response_hash === null) return resolution.decision === 'cancel';
  return row.response_hash === hash;
}
