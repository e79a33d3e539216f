import { z } from 'zod';

export const INBOX_KINDS = [
  'approval',
  'question',
  'toolCall',
  'failedTurn',
  'longTurn',
  'failedJob',
] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];
export const INBOX_ACTIONS = ['decide', 'answer', 'respond', 'retry', 'dismiss'] as const;
export type InboxAction = (typeof INBOX_ACTIONS)[number];

/** Kinds a person clears by dismissing them; request items leave only when the request is answered. */
export const DISMISSIBLE: readonly InboxKind[] = ['failedTurn', 'longTurn', 'failedJob'];

const ACTIONS: Record<InboxKind, InboxAction[]> = {
  approval: ['decide'],
  question: ['answer'],
  toolCall: ['respond'],
  failedTurn: ['dismiss'],
  longTurn: ['dismiss'],
  failedJob: ['retry', 'dismiss'],
};

export const inboxItemSchema = z.object({
  id: z.string().describe('request:<id>, turn:<session>:<turn> or job:<id>'),
  kind: z.enum(INBOX_KINDS),
  seq: z.number().int().describe('the event that put the item in the inbox'),
  createdAt: z.string(),
  sessionId: z.string().nullable(),
  sessionTitle: z.string().nullable(),
  projectId: z.string().nullable(),
  turnId: z.string().nullable(),
  title: z.string().describe('one line: the command, the files, the question, the error'),
  requestId: z.string().nullable().describe('approval, question, toolCall: act through the request routes'),
  jobId: z.string().nullable().describe('failedJob: retry through the job routes'),
  detail: z.record(z.string(), z.unknown()).describe('what to look at before acting, by kind'),
  actions: z.array(z.enum(INBOX_ACTIONS)),
});
export type InboxItem = z.infer<typeof inboxItemSchema>;

/** A stored item as the projector writes it (session title and project are read at list time). */
export interface InboxRow {
  id: string;
  kind: InboxKind;
  seq: number;
  created_at: Date;
  session_id: string | null;
  turn_id: string | null;
  request_id: string | null;
  job_id: string | null;
  title: string;
  detail: Record<string, unknown>;
}

export interface InboxRowJoined extends InboxRow {
  session_title: string | null;
  project_id: string | null;
}

export const toInboxItem = (r: InboxRowJoined): InboxItem => ({
  id: r.id,
  kind: r.kind,
  seq: Number(r.seq),
  createdAt: r.created_at.toISOString(),
  sessionId: r.session_id,
  sessionTitle: r.session_title,
  projectId: r.project_id,
  turnId: r.turn_id,
  title: r.title,
  requestId: r.request_id,
  jobId: r.job_id,
  detail: r.detail,
  actions: ACTIONS[r.kind],
});

export type InboxRemovalReason = 'resolved' | 'expired' | 'dismissed' | 'retried' | 'sessionDeleted';
