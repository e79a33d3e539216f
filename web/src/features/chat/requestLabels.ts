import type { InteractiveRequest } from '../../api/types';

export const DECISION_LABELS: Record<string, string> = {
  accept: 'Approve',
  acceptForSession: 'Approve for this chat',
  acceptWithExecpolicyAmendment: 'Always allow this command',
  applyNetworkPolicyAmendment: 'Allow this network access',
  decline: 'Decline',
  cancel: 'Decline and stop the turn',
};

const PAST: Record<string, string> = {
  accept: 'Approved',
  acceptForSession: 'Approved for this chat',
  acceptWithExecpolicyAmendment: 'Always allowed',
  applyNetworkPolicyAmendment: 'Network access allowed',
  decline: 'Declined',
  cancel: 'Declined and stopped',
  answered: 'Answered',
};

/** "Approved by alice (web)", "Expired: the runtime restarted". */
export function outcome(r: InteractiveRequest): string {
  if (r.status === 'expired') return `Expired${r.expiredReason ? `: ${r.expiredReason}` : ''}`;
  if (r.status !== 'resolved') return 'Waiting for you';
  const what = PAST[r.decision ?? ''] ?? (r.kind === 'userInput' ? 'Answered' : (r.decision ?? 'Resolved'));
  const by = r.resolvedBy
    ? ` by ${r.resolvedBy.actor}${r.resolvedBy.source && r.resolvedBy.source !== r.resolvedBy.actor ? ` (${r.resolvedBy.source})` : ''}`
    : '';
  return `${what}${by}`;
}

/** The decisions a card offers: what the runtime offered, in a stable order, decline/cancel always. */
export function offered(r: Pick<InteractiveRequest, 'decisions'>): string[] {
  const list = r.decisions?.length ? r.decisions : ['accept', 'decline', 'cancel'];
  const order = Object.keys(DECISION_LABELS);
  return [...new Set([...list, 'decline', 'cancel'])]
    .filter((d) => d in DECISION_LABELS)
    .sort((a, b) => order.indexOf(a) - order.indexOf(b));
}
