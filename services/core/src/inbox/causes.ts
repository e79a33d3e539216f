import type { Queryable } from '../db/pool';
import type { EventEnvelope } from '../events/types';
import type { RequestRow } from '../requests/model';
import { approvalDecisionsFor } from '../requests/resolutions';
import { requestSql } from '../requests';
import type { InboxKind, InboxRow } from './model';
import { addInboxItem, removeInboxItems } from './store';

/**
 * What puts items into the inbox and takes them out, event by event. Each function is applied by
 * the projector inside the transaction that advances its cursor, so it runs exactly once per event.
 */
export interface InboxCauseOptions {
  /** Completed turns that ran longer than this become `longTurn` items. */
  longTurnMs: number;
  /**
   * A dynamic tool call is usually served by a program (a remote skill) within moments; it needs a
   * person only once it has waited this long. Added by `addUnservedToolCalls`, not by its event.
   */
  toolCallGraceMs: number;
  /** The service recording the `inbox.*` events. */
  source: string;
}

/** The event types the projector reads; everything else passes by. */
export const INBOX_CAUSE_TYPES = new Set([
  'request.created',
  'request.resolved',
  'request.expired',
  'runtime.turn.completed',
  'job.failed',
  'job.retried',
  'session.deleted',
]);

const REQUEST_KIND: Record<string, InboxKind> = {
  commandApproval: 'approval',
  fileChangeApproval: 'approval',
  userInput: 'question',
  toolCall: 'toolCall',
};

const oneLine = (s: string, max = 160) => {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

const minutes = (ms: number) =>
  ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;

export async function applyInboxCause(
  db: Queryable,
  e: EventEnvelope,
  opts: InboxCauseOptions,
): Promise<void> {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'request.created':
      return requestCreated(db, e, String(d.requestId), opts);
    case 'request.resolved': {
      const by = (d.resolvedBy ?? {}) as { actor?: string; source?: string };
      await removeInboxItems(
        db,
        { id: `request:${String(d.requestId)}` },
        { reason: 'resolved', actor: by.actor ?? null, source: by.source ?? null },
        opts.source,
      );
      return;
    }
    case 'request.expired':
      await removeInboxItems(
        db,
        { id: `request:${String(d.requestId)}` },
        { reason: 'expired' },
        opts.source,
      );
      return;
    case 'runtime.turn.completed':
      return turnCompleted(db, e, opts);
    case 'job.failed':
      return jobFailed(db, e, opts);
    case 'job.retried': {
      const id = `job:${String(d.jobId)}`;
      // A retried job may fail again: that failure is news, even if the last one was dismissed.
      await db.query('DELETE FROM inbox_dismissals WHERE id = $1', [id]);
      await removeInboxItems(
        db,
        { id },
        { reason: 'retried', actor: (d.actor as string) ?? null },
        opts.source,
      );
      return;
    }
    case 'session.deleted':
      if (e.threadId)
        await removeInboxItems(
          db,
          { sessionId: e.threadId },
          { reason: 'sessionDeleted', actor: (d.actor as string) ?? null },
          opts.source,
        );
      return;
  }
}

async function requestCreated(db: Queryable, e: EventEnvelope, requestId: string, opts: InboxCauseOptions) {
  const { rows } = await db.query<RequestRow>(requestSql.getRequest(requestId));
  const r = rows[0];
  // Already answered (a policy, an extension, a fast client) by the time we read it: nothing to do.
  if (!r || r.status !== 'pending') return;
  const kind = REQUEST_KIND[r.kind];
  if (!kind || kind === 'toolCall') return;
  await addRequestItem(db, r, e.seq, e.ts, opts);
}

/**
 * Tool calls still pending after the grace period become `toolCall` items. Each row is locked
 * (FOR SHARE) while its item is added, so a decision or an expiry waits for this transaction and its
 * `request.*` event comes after the item: the item can never outlive its request.
 */
export async function addUnservedToolCalls(db: Queryable, opts: InboxCauseOptions): Promise<number> {
  const { rows } = await db.query<RequestRow & { seq: string; ts: Date }>(
    `SELECT r.*, e.seq, e.ts FROM server_requests r
     JOIN events e ON e.type = 'request.created' AND e.thread_id = r.session_id AND e.data->>'requestId' = r.id::text
     WHERE r.kind = 'toolCall' AND r.status = 'pending' AND r.created_at < now() - make_interval(secs => $1::float8 / 1000)
       AND NOT EXISTS (SELECT 1 FROM inbox_items i WHERE i.id = 'request:' || r.id::text)
     ORDER BY e.seq LIMIT 100
     FOR SHARE OF r SKIP LOCKED`,
    [opts.toolCallGraceMs],
  );
  for (const r of rows) await addRequestItem(db, r, Number(r.seq), r.ts.toISOString(), opts);
  return rows.length;
}

async function addRequestItem(
  db: Queryable,
  r: RequestRow,
  seq: number,
  ts: string,
  opts: InboxCauseOptions,
) {
  const kind = REQUEST_KIND[r.kind]!;
  const p = r.params as Record<string, unknown>;
  let title: string;
  let detail: Record<string, unknown>;
  if (r.kind === 'commandApproval') {
    const command = typeof p.command === 'string' ? p.command : JSON.stringify(p.command ?? '');
    title = `Run: ${oneLine(command)}`;
    detail = {
      requestKind: r.kind,
      command,
      cwd: p.cwd ?? null,
      reason: p.reason ?? null,
      decisions: approvalDecisionsFor(r),
    };
  } else if (r.kind === 'fileChangeApproval') {
    const changes = await fileChanges(db, r.session_id, r.item_id);
    title =
      changes.length === 1
        ? `Apply changes to ${changes[0]!.path}`
        : `Apply changes to ${changes.length || 'some'} files`;
    detail = { requestKind: r.kind, changes, reason: p.reason ?? null, decisions: approvalDecisionsFor(r) };
  } else if (r.kind === 'userInput') {
    const questions = Array.isArray(p.questions) ? (p.questions as Record<string, unknown>[]) : [];
    const first = questions[0];
    title = `Question: ${oneLine(String(first?.header || first?.question || 'the agent asks'))}`;
    detail = { questions };
  } else {
    title = `Tool call: ${String(p.tool ?? 'unknown')}`;
    detail = { tool: p.tool ?? null, arguments: p.arguments ?? null };
  }
  await addInboxItem(
    db,
    {
      id: `request:${r.id}`,
      kind,
      seq,
      created_at: ts,
      session_id: r.session_id,
      turn_id: r.turn_id,
      request_id: r.id,
      job_id: null,
      title,
      detail,
    },
    opts.source,
  );
}

/** The changes of a file-change item, from its newest started/completed event. */
async function fileChanges(db: Queryable, sessionId: string, itemId: string | null) {
  if (!itemId) return [];
  const { rows } = await db.query<{ data: { params?: { item?: { changes?: unknown } } } }>(
    `SELECT data FROM events WHERE thread_id = $1 AND item_id = $2
       AND type IN ('runtime.item.started', 'runtime.item.completed') ORDER BY seq DESC LIMIT 1`,
    [sessionId, itemId],
  );
  const changes = rows[0]?.data.params?.item?.changes;
  return Array.isArray(changes) ? (changes as { path: string; kind: unknown; diff: string }[]) : [];
}

interface CompletedTurn {
  id?: string;
  status?: string;
  error?: { message?: string } | null;
  durationMs?: number | null;
}

const completedTurn = (e: EventEnvelope): CompletedTurn =>
  ((e.data.params as Record<string, unknown> | undefined)?.turn ?? {}) as CompletedTurn;

/** A finished turn that needs a person: it failed, or ran longer than `longTurnMs`. */
const needsAttention = (turn: CompletedTurn, opts: Pick<InboxCauseOptions, 'longTurnMs'>): boolean =>
  turn.status === 'failed' || (turn.status === 'completed' && (turn.durationMs ?? 0) > opts.longTurnMs);

/**
 * Whether applying the event could change the inbox, judged from the event alone: every cause type
 * may, except the end of a turn that went well (most turns), which the projector then passes by
 * without a transaction.
 */
export function mayChangeInbox(e: EventEnvelope, opts: Pick<InboxCauseOptions, 'longTurnMs'>): boolean {
  if (!INBOX_CAUSE_TYPES.has(e.type)) return false;
  return e.type !== 'runtime.turn.completed' || needsAttention(completedTurn(e), opts);
}

async function turnCompleted(db: Queryable, e: EventEnvelope, opts: InboxCauseOptions) {
  const turn = completedTurn(e);
  if (!e.threadId || !turn.id || !needsAttention(turn, opts)) return;
  // Worker sessions belong to jobs: their failures reach the inbox as failed jobs.
  const { rows } = await db.query<{ system_owned: boolean }>(
    'SELECT system_owned FROM sessions WHERE id = $1',
    [e.threadId],
  );
  if (!rows[0] || rows[0].system_owned) return;
  const base = {
    id: `turn:${e.threadId}:${turn.id}`,
    seq: e.seq,
    created_at: e.ts,
    session_id: e.threadId,
    turn_id: turn.id,
    request_id: null,
    job_id: null,
  };
  if (turn.status === 'failed') {
    const message = turn.error?.message ? oneLine(turn.error.message) : 'no reason given';
    await addInboxItem(
      db,
      {
        ...base,
        kind: 'failedTurn',
        title: `Turn failed: ${message}`,
        detail: { error: turn.error ?? null },
      },
      opts.source,
    );
  } else {
    const durationMs = turn.durationMs!;
    await addInboxItem(
      db,
      { ...base, kind: 'longTurn', title: `Turn ran ${minutes(durationMs)}`, detail: { durationMs } },
      opts.source,
    );
  }
}

async function jobFailed(db: Queryable, e: EventEnvelope, opts: InboxCauseOptions) {
  const d = e.data as {
    jobId?: string;
    jobType?: string;
    status?: string;
    attempt?: number;
    error?: unknown;
  };
  if (!d.jobId || d.status !== 'failed') return;
  const code = (d.error as { code?: string } | null)?.code ?? 'error';
  const row: Omit<InboxRow, 'created_at'> & { created_at: string } = {
    id: `job:${d.jobId}`,
    kind: 'failedJob',
    seq: e.seq,
    created_at: e.ts,
    session_id: e.threadId ?? null,
    turn_id: null,
    request_id: null,
    job_id: d.jobId,
    title: `Job ${d.jobType ?? ''} failed: ${code}`.replace('  ', ' '),
    detail: { jobType: d.jobType ?? null, attempts: d.attempt ?? null, error: d.error ?? null },
  };
  await addInboxItem(db, row, opts.source);
}
