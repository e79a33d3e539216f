import { JobFailure, suggestRequestPayload, type Pool } from '@codex-manager/core';
import { parseReply } from '../reply-outcome';
import type { WorkerTurns } from '../worker-turns';
import { requireCompleted } from './instruction';
import type { JobContext, JobHandler } from './types';

const MAX_QUOTE = 4000;
const MAX_SUGGESTION = 300;

interface Exchange {
  turnId: string;
  request: string;
  reply: string;
}

const quote = (text: string): string =>
  (text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE)}…` : text)
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');

/** The instruction sent to the worker; the exchange is quoted so it reads as material, not orders. */
export function suggestInstruction(x: Exchange): string {
  return [
    'Suggest the next request the user could send in this coding session.',
    "The user's last request and the assistant's reply are quoted below.",
    'Answer with the suggested request only, as the user would type it: one sentence, no preamble.',
    'If there is nothing sensible to suggest, answer NONE.',
    '',
    'Last request:',
    quote(x.request),
    '',
    'Reply:',
    quote(x.reply),
  ].join('\n');
}

function textOfUserMessage(item: { content?: unknown }): string {
  const content = Array.isArray(item.content) ? item.content : [];
  return content
    .map((c: { text?: unknown }) => (typeof c?.text === 'string' ? c.text : ''))
    .filter(Boolean)
    .join('\n');
}

/** The user's request and the final reply of a completed turn, from the event log. */
async function exchangeOf(
  pool: Pool,
  sessionId: string,
  turnId: string | undefined,
): Promise<Exchange | null> {
  const turn =
    turnId ??
    (
      await pool.query<{ id: string }>(
        `SELECT id FROM turns WHERE session_id = $1 AND status = 'completed' ORDER BY completed_at DESC LIMIT 1`,
        [sessionId],
      )
    ).rows[0]?.id;
  if (!turn) return null;
  const { rows } = await pool.query<{ data: { params?: { item?: Record<string, unknown> } } }>(
    `SELECT data FROM events WHERE thread_id = $1 AND turn_id = $2 AND type = 'runtime.item.completed' ORDER BY seq`,
    [sessionId, turn],
  );
  let request = '';
  let reply = '';
  for (const r of rows) {
    const item = r.data.params?.item ?? {};
    if (item.type === 'userMessage') request = textOfUserMessage(item);
    if (item.type === 'agentMessage' && typeof item.text === 'string') reply = item.text;
  }
  return request || reply ? { turnId: turn, request, reply } : null;
}

/**
 * `suggest-request`: after a turn, asks the session's `suggest` worker for the user's likely next
 * request; the suggestion becomes a supplemental transcript row (`suggestion:<turn id>`, so a
 * retry replaces it instead of adding another) and the job's output.
 */
export function suggestRequestJob(pool: Pool, turns: WorkerTurns): JobHandler {
  return async (ctx: JobContext) => {
    const p = suggestRequestPayload.parse(ctx.job.payload);
    const { rows } = await pool.query<{ system_owned: boolean }>(
      'SELECT system_owned FROM sessions WHERE id = $1',
      [p.sessionId],
    );
    if (!rows[0]) throw new JobFailure('not_found', `session ${p.sessionId} does not exist`);
    if (rows[0].system_owned) throw new JobFailure('forbidden', 'worker sessions get no suggestions');
    const exchange = await exchangeOf(pool, p.sessionId, p.turnId);
    if (!exchange) return { kind: 'none', reason: 'the session has no completed turn yet' };
    const turn = await turns.run(`session:${p.sessionId}`, 'suggest', suggestInstruction(exchange), {
      signal: ctx.signal,
      onTurn: ctx.onTurn,
    });
    requireCompleted(turn);
    const outcome = parseReply(turn.finalText);
    const base = { forTurnId: exchange.turnId, threadId: turn.threadId, turnId: turn.turnId };
    if (outcome.kind !== 'assistant_text') return { kind: 'none', ...base };
    const firstLine = outcome.text.split('\n').find((l) => l.trim() !== '') ?? '';
    const suggestion = firstLine.trim().slice(0, MAX_SUGGESTION);
    const row = await ctx.actions.upsertTranscriptRow({
      sessionId: p.sessionId,
      rowId: `suggestion:${exchange.turnId}`,
      kind: 'suggestion',
      text: suggestion,
      data: { jobId: ctx.job.id, forTurnId: exchange.turnId },
    });
    return { kind: 'assistant_text', text: suggestion, suggestion, transcriptRow: row.outcome, ...base };
  };
}
