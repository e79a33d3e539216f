import { actionIntents, type ActionIntent } from '@codex-manager/core';

/** What an instruction turn produced. */
export type ReplyOutcome =
  | { kind: 'none' }
  | { kind: 'assistant_text'; text: string }
  | { kind: 'action_intents'; intents: ActionIntent[] };

const NOTHING = /^\s*(none|no action|nothing to do)\.?\s*$/i;
const FENCE = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/;

/**
 * The reply of a worker turn, read as: nothing (empty or "NONE"), structured action intents (a JSON
 * object `{"actions": [...]}`, optionally in a ```json fence, every intent valid), or plain text.
 * JSON that is not a valid set of intents stays text: a half-valid plan is never carried out.
 */
export function parseReply(text: string | null): ReplyOutcome {
  if (text === null || text.trim() === '' || NOTHING.test(text)) return { kind: 'none' };
  const body = FENCE.exec(text)?.[1] ?? text;
  if (/^\s*\{/.test(body)) {
    try {
      const parsed = actionIntents.safeParse(JSON.parse(body));
      if (parsed.success) return { kind: 'action_intents', intents: parsed.data.actions };
    } catch {
      // not JSON: plain text
    }
  }
  return { kind: 'assistant_text', text: text.trim() };
}
