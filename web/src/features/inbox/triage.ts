import type { InboxItem, InboxKind } from '../../api/types';

/** What a key does in the inbox. */
export type TriageCommand =
  | { type: 'move'; by: number }
  | { type: 'first' }
  | { type: 'last' }
  | { type: 'open' }
  | { type: 'decide'; decision: 'accept' | 'decline' }
  | { type: 'retry' }
  | { type: 'dismiss' }
  | { type: 'help' }
  | { type: 'escape' };

/** The key list shown by `?` (and in the page's help). */
export const TRIAGE_KEYS: { keys: string[]; what: string }[] = [
  { keys: ['j', '↓'], what: 'Next item' },
  { keys: ['k', '↑'], what: 'Previous item' },
  { keys: ['Home', 'End'], what: 'First / last item' },
  { keys: ['Enter'], what: 'Open the item in its chat' },
  { keys: ['a'], what: 'Approve (approvals)' },
  { keys: ['d'], what: 'Decline (approvals)' },
  { keys: ['r'], what: 'Retry (failed jobs)' },
  { keys: ['x'], what: 'Dismiss (failed or long turns, failed jobs)' },
  { keys: ['?'], what: 'Show or hide these keys' },
  { keys: ['Esc'], what: 'Close this help' },
];

const KEYMAP: Record<string, TriageCommand> = {
  j: { type: 'move', by: 1 },
  ArrowDown: { type: 'move', by: 1 },
  k: { type: 'move', by: -1 },
  ArrowUp: { type: 'move', by: -1 },
  Home: { type: 'first' },
  End: { type: 'last' },
  Enter: { type: 'open' },
  a: { type: 'decide', decision: 'accept' },
  d: { type: 'decide', decision: 'decline' },
  r: { type: 'retry' },
  x: { type: 'dismiss' },
  '?': { type: 'help' },
  Escape: { type: 'escape' },
};

interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  target?: EventTarget | null;
}

/** Where typing means typing: keys go to the field, not to triage. */
function isField(t: EventTarget | null | undefined): boolean {
  const el = t as HTMLElement | null | undefined;
  if (!el || typeof el.tagName !== 'string') return false;
  const tag = el.tagName.toLowerCase();
  return tag === 'input' || tag === 'textarea' || tag === 'select' || el.isContentEditable === true;
}

/**
 * The command for a key press, or null when the key is not ours: with a modifier (browser
 * shortcuts), in a form field, and Enter on a button or link (it presses that instead).
 */
export function triageCommand(e: KeyLike): TriageCommand | null {
  if (e.ctrlKey || e.metaKey || e.altKey || isField(e.target)) return null;
  const cmd = KEYMAP[e.key] ?? null;
  if (cmd?.type === 'open') {
    const tag = (e.target as HTMLElement | null)?.tagName?.toLowerCase();
    if (tag === 'button' || tag === 'a' || tag === 'summary') return null;
  }
  return cmd;
}

/** Why a command does not apply to an item, or null when it does. */
export function refusal(cmd: TriageCommand, item: InboxItem | undefined): string | null {
  if (!item) return 'Nothing selected.';
  switch (cmd.type) {
    case 'open':
      return item.sessionId || item.jobId ? null : 'This item has no chat.';
    case 'decide':
      if (item.kind !== 'approval' || !item.actions.includes('decide')) return 'Only approvals take a/d.';
      // Decline is always possible; approve only when the runtime offered it.
      if (cmd.decision === 'accept' && !(item.detail.decisions ?? ['accept']).includes('accept'))
        return 'This approval does not offer a plain approve: choose one of its buttons.';
      return null;
    case 'retry':
      return item.actions.includes('retry') ? null : 'Only failed jobs can be retried.';
    case 'dismiss':
      return item.actions.includes('dismiss')
        ? null
        : 'Requests leave when answered; they cannot be dismissed.';
    default:
      return null;
  }
}

/**
 * The selection after the list changed: the same item while it is there; else the item now at its
 * old place (the next one down), so deciding one item after another needs no moving.
 */
export function keepSelection(ids: string[], selected: string | null, lastIndex: number): string | null {
  if (ids.length === 0) return null;
  if (selected && ids.includes(selected)) return selected;
  return ids[Math.min(Math.max(lastIndex, 0), ids.length - 1)]!;
}

export const KIND_LABELS: Record<InboxKind, string> = {
  approval: 'Approvals',
  question: 'Questions',
  toolCall: 'Tool calls',
  failedTurn: 'Failed turns',
  longTurn: 'Long turns',
  failedJob: 'Failed jobs',
};

export const KIND_ONE: Record<InboxKind, string> = {
  approval: 'Approval',
  question: 'Question',
  toolCall: 'Tool call',
  failedTurn: 'Failed turn',
  longTurn: 'Long turn',
  failedJob: 'Failed job',
};

/** Where an item lives: its chat, scrolled to the request or turn; a job without a chat: the jobs page. */
export function itemLink(item: InboxItem): string | null {
  if (item.sessionId) {
    const anchor = item.requestId ? `#request-${item.requestId}` : item.turnId ? `#turn-${item.turnId}` : '';
    return `/chats/${item.sessionId}${anchor}`;
  }
  return item.jobId ? '/jobs' : null;
}
