import type { EventEnvelope } from '../api/event-stream';
import type { Style } from '../output/style';
import { renderTable } from '../output/table';

/**
 * Human views of the inbox (`GET /api/inbox`, operation `inbox.list`) and of its stream events
 * (`inbox.added`, `inbox.removed`). Pure, so they are unit-tested without a server.
 */
export const INBOX_KINDS = [
  'approval',
  'question',
  'toolCall',
  'failedTurn',
  'longTurn',
  'failedJob',
] as const;

export interface InboxItem {
  id: string;
  kind: string;
  seq: number;
  createdAt: string;
  sessionId: string | null;
  sessionTitle: string | null;
  projectId: string | null;
  turnId: string | null;
  title: string;
  requestId: string | null;
  jobId: string | null;
  detail: Record<string, unknown>;
  actions: string[];
}

export interface InboxPage {
  items: InboxItem[];
  nextCursor: string | null;
  counts: { total: number; byKind: Record<string, number> };
}

/** `42 s`, `5 min`, `3 h`, `2 d`: how long an item has waited. */
export function age(createdAt: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(createdAt)) / 1000));
  if (!Number.isFinite(s)) return '-';
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** The session column: its title, else a short id; `-` for items of no session (a failed job). */
export const sessionLabel = (i: Pick<InboxItem, 'sessionId' | 'sessionTitle'>): string =>
  i.sessionTitle?.trim() || (i.sessionId ? i.sessionId.slice(0, 8) : '-');

/** What to type to act on an item, shown under the table. */
export function actionHint(i: InboxItem): string {
  if (i.actions.includes('decide')) {
    const decisions = Array.isArray(i.detail.decisions) ? (i.detail.decisions as string[]) : ['accept'];
    return `cmgr inbox decide ${i.id} ${decisions[0] ?? 'accept'}`;
  }
  if (i.actions.includes('answer')) return `cmgr inbox answer ${i.id}`;
  if (i.actions.includes('respond')) return `cmgr inbox respond ${i.id} '<text>'`;
  if (i.actions.includes('retry')) return `cmgr inbox retry ${i.id}`;
  if (i.actions.includes('dismiss')) return `cmgr inbox dismiss ${i.id}`;
  return '';
}

export function renderInbox(page: InboxPage, style: Style, width: number, now: number): string {
  const rows = page.items.map((i) => ({
    kind: i.kind,
    title: i.title,
    session: sessionLabel(i),
    age: age(i.createdAt, now),
    id: i.id,
  }));
  const lines = [renderTable(rows, style, width, ['kind', 'title', 'session', 'age', 'id'])];
  const byKind = Object.entries(page.counts?.byKind ?? {})
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  lines.push(style.dim(`${page.counts?.total ?? page.items.length} open${byKind ? `: ${byKind}` : ''}`));
  if (page.nextCursor) lines.push(style.dim(`more: add --cursor ${page.nextCursor}`));
  return lines.join('\n');
}

/** The details of one item, for the line under a new item in `watch` and before a prompt. */
export function detailLines(i: InboxItem, style: Style): string[] {
  const d = i.detail ?? {};
  const out: string[] = [];
  if (i.kind === 'approval') {
    if (typeof d.command === 'string') out.push(style.cyan(`  $ ${d.command}`));
    if (typeof d.cwd === 'string') out.push(style.dim(`  in ${d.cwd}`));
    for (const c of (Array.isArray(d.changes) ? d.changes : []) as { path?: string; kind?: string }[])
      out.push(style.cyan(`  ${c.kind ?? 'change'} ${c.path ?? '?'}`));
    if (typeof d.reason === 'string' && d.reason) out.push(style.dim(`  reason: ${d.reason}`));
  } else if (i.kind === 'question') {
    for (const q of (Array.isArray(d.questions) ? d.questions : []) as { id: string; question?: string }[])
      out.push(style.dim(`  ${q.id}: ${q.question ?? ''}`));
  } else if (i.kind === 'toolCall' && typeof d.tool === 'string') {
    out.push(style.dim(`  ${d.tool} ${JSON.stringify(d.arguments ?? null).slice(0, 100)}`));
  }
  return out;
}

/** One line per inbox event for `cmgr inbox watch`: `+` an item arrived, `-` one left, and why. */
export function describeInboxEvent(e: EventEnvelope, style: Style): string[] {
  const time = new Date(e.ts).toTimeString().slice(0, 8);
  const head = `${style.dim(String(e.seq).padStart(6))} ${style.dim(time)}`;
  if (e.type === 'inbox.added') {
    const i = e.data.item as InboxItem;
    const lines = [
      `${head} ${style.yellow('+')} ${style.bold(i.kind)}  ${i.title}  ${style.dim(`[${sessionLabel(i)}] ${i.id}`)}`,
      ...detailLines(i, style),
    ];
    const hint = actionHint(i);
    if (hint) lines.push(style.dim(`  → ${hint}`));
    return lines;
  }
  if (e.type === 'inbox.removed') {
    const d = e.data as {
      id?: string;
      kind?: string;
      reason?: string;
      actor?: string | null;
      source?: string | null;
    };
    const by = d.actor ? ` by ${d.actor}` : '';
    const from = d.source ? ` (${d.source})` : '';
    return [
      `${head} ${style.green('-')} ${d.kind ?? ''}  ${d.id ?? '?'}  ${d.reason ?? 'removed'}${by}${from}`,
    ];
  }
  return [`${head} ${e.type}`];
}

/**
 * An inbox item id or a bare request/job id → the id the action route takes. `request:<uuid>` →
 * `<uuid>`; a bare id is taken as it is.
 */
export function targetId(arg: string, prefix: 'request' | 'job'): string {
  const p = `${prefix}:`;
  if (arg.startsWith(p)) return arg.slice(p.length);
  return arg;
}

/** `--answer color=Blue` → `['color', 'Blue']`; null when there is no `=`. */
export function parseAnswerFlag(s: string): [string, string] | null {
  const i = s.indexOf('=');
  if (i <= 0) return null;
  return [s.slice(0, i).trim(), s.slice(i + 1)];
}
