import type { RuntimeItem, SessionDetail, StreamEvent, TokenUsage } from '../api/types';

/**
 * The chat view's model, built from a REST read (history) and stream events (live), and pure so it
 * can be tested without a browser. Merging is idempotent, so overlapping history and events never
 * duplicate text: an item that is `done` ignores deltas and `item/started`; `item/completed`
 * replaces an item with the runtime's final version.
 */

export interface ChatItem {
  id: string;
  turnId: string | null;
  type: string;
  /** Completed (or read from history): deltas no longer apply. */
  done: boolean;
  /** Message text (agent, user, plan). */
  text: string;
  /** Reasoning summary parts. */
  summary: string[];
  /** Command output as it streams. */
  output: string;
  /** The runtime's latest full version of the item. */
  item: RuntimeItem | null;
  /** A manager-owned transcript row (notes, suggestions), not a runtime item. */
  supplemental?: boolean;
}

export interface PlanStep {
  step: string;
  status: string;
}

export interface ChatTurn {
  id: string;
  status: string;
  error: string | null;
  itemIds: string[];
  plan: { explanation: string | null; steps: PlanStep[] } | null;
  diff: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

export interface Transcript {
  turns: Record<string, ChatTurn>;
  turnOrder: string[];
  items: Record<string, ChatItem>;
  /** Supplemental rows that belong to no turn. */
  looseItemIds: string[];
  tokenUsage: TokenUsage | null;
  threadStatus: { type: string; activeFlags?: string[] } | null;
}

export const emptyTranscript = (): Transcript => ({
  turns: {},
  turnOrder: [],
  items: {},
  looseItemIds: [],
  tokenUsage: null,
  threadStatus: null,
});

const TERMINAL = new Set(['completed', 'failed', 'interrupted']);

export function ensureTurn(t: Transcript, id: string, status = 'inProgress'): ChatTurn {
  let turn = t.turns[id];
  if (!turn) {
    turn = {
      id,
      status,
      error: null,
      itemIds: [],
      plan: null,
      diff: null,
      startedAt: null,
      completedAt: null,
    };
    t.turns[id] = turn;
    t.turnOrder.push(id);
  }
  return turn;
}

export function errorText(error: unknown): string | null {
  if (!error) return null;
  if (typeof error === 'string') return error;
  const e = error as { message?: unknown; reason?: unknown };
  if (typeof e.message === 'string') return e.message;
  if (typeof e.reason === 'string') return e.reason;
  return JSON.stringify(error);
}

/** The text a runtime item carries, whatever its kind. */
export function itemText(item: RuntimeItem): string {
  if (typeof item.text === 'string') return item.text;
  if (item.type === 'userMessage' && Array.isArray(item.content)) {
    return (item.content as { type: string; text?: string }[])
      .filter((c) => c.type === 'text' && typeof c.text === 'string')
      .map((c) => c.text)
      .join('\n');
  }
  return '';
}

function fromItem(item: RuntimeItem, turnId: string | null, done: boolean): ChatItem {
  return {
    id: item.id,
    turnId,
    type: item.type,
    done,
    text: itemText(item),
    summary: Array.isArray(item.summary) ? [...(item.summary as string[])] : [],
    output: typeof item.aggregatedOutput === 'string' ? item.aggregatedOutput : '',
    item,
  };
}

/** A turn first seen through one of its items is running, unless it comes from history. */
function placeItem(t: Transcript, item: ChatItem, newTurnStatus = 'inProgress'): void {
  t.items[item.id] = item;
  if (item.turnId) {
    const turn = ensureTurn(t, item.turnId, newTurnStatus);
    if (!turn.itemIds.includes(item.id)) turn.itemIds.push(item.id);
  } else if (!t.looseItemIds.includes(item.id)) {
    t.looseItemIds.push(item.id);
  }
}

/**
 * History from `GET /api/sessions/:id`: turns in order, then the transcript's items into their
 * turns. Items of the turns named in `skipItemsOf` are left out (those turns are rebuilt from
 * replayed events, which also carry the part of the reply that history cannot have yet).
 */
export function loadHistory(t: Transcript, detail: SessionDetail, skipItemsOf: string[] = []): void {
  for (const turn of detail.turns) {
    const ct = ensureTurn(t, turn.id, turn.status);
    ct.status = turn.status;
    ct.error = errorText(turn.error);
    ct.startedAt = turn.startedAt;
    ct.completedAt = turn.completedAt;
  }
  for (const entry of detail.transcript?.entries ?? []) {
    if (entry.turnId && skipItemsOf.includes(entry.turnId)) continue;
    if (entry.source === 'supplemental') {
      placeItem(t, supplementalItem(entry.item as Record<string, unknown>, entry.turnId), 'completed');
      continue;
    }
    placeItem(t, fromItem(entry.item, entry.turnId, true), 'completed');
  }
  if (detail.session.tokenUsage) t.tokenUsage = detail.session.tokenUsage;
}

type Params = Record<string, unknown>;

function paramsOf(e: StreamEvent): Params {
  return ((e.data as { params?: Params }).params ?? {}) as Params;
}

function deltaItem(t: Transcript, e: StreamEvent, p: Params, type: string): ChatItem | null {
  const id = (p.itemId as string | undefined) ?? e.itemId;
  if (!id) return null;
  let item = t.items[id];
  if (!item) {
    const turnId = (p.turnId as string | undefined) ?? e.turnId ?? null;
    item = { id, turnId, type, done: false, text: '', summary: [], output: '', item: null };
    placeItem(t, item);
  }
  return item.done ? null : item;
}

/** Applies one stream event of this chat's thread. Unknown event types are ignored. */
export function applyEvent(t: Transcript, e: StreamEvent): void {
  const p = paramsOf(e);
  switch (e.type) {
    case 'runtime.turn.started': {
      const turn = p.turn as { id: string; status?: string } | undefined;
      if (!turn) return;
      const ct = ensureTurn(t, turn.id);
      if (!TERMINAL.has(ct.status)) ct.status = 'inProgress';
      ct.startedAt ??= e.ts;
      return;
    }
    case 'runtime.turn.completed': {
      const turn = p.turn as { id: string; status: string; error?: unknown } | undefined;
      if (!turn) return;
      const ct = ensureTurn(t, turn.id);
      ct.status = turn.status;
      ct.error = errorText(turn.error) ?? ct.error;
      ct.completedAt ??= e.ts;
      // An interrupted or failed turn never completes its partial items: stop their "streaming".
      for (const id of ct.itemIds) {
        const item = t.items[id];
        if (item) item.done = true;
      }
      return;
    }
    case 'turn.interrupted': {
      if (!e.turnId) return;
      const ct = ensureTurn(t, e.turnId);
      ct.status = 'interrupted';
      ct.error = errorText(e.data.reason) ?? 'the runtime stopped';
      for (const id of ct.itemIds) if (t.items[id]) t.items[id]!.done = true;
      return;
    }
    case 'runtime.item.started':
    case 'runtime.item.completed': {
      const raw = p.item as RuntimeItem | undefined;
      if (!raw?.id) return;
      const turnId = (p.turnId as string | undefined) ?? e.turnId ?? null;
      const done = e.type === 'runtime.item.completed';
      const existing = t.items[raw.id];
      if (existing?.done) return;
      if (existing && !done) {
        existing.item = raw;
        return;
      }
      const next = fromItem(raw, turnId, done);
      // Keep what streamed when the final item carries less (a summary the runtime left out).
      if (existing && !next.output && existing.output) next.output = existing.output;
      placeItem(t, next);
      return;
    }
    case 'runtime.item.agentMessage.delta':
    case 'runtime.item.plan.delta': {
      const item = deltaItem(t, e, p, e.type.includes('plan') ? 'plan' : 'agentMessage');
      if (item) item.text += String(p.delta ?? '');
      return;
    }
    case 'runtime.item.reasoning.summaryPartAdded':
    case 'runtime.item.reasoning.summaryTextDelta': {
      const item = deltaItem(t, e, p, 'reasoning');
      if (!item) return;
      const index = Number(p.summaryIndex ?? 0);
      while (item.summary.length <= index) item.summary.push('');
      if (p.delta) item.summary[index] += String(p.delta);
      return;
    }
    case 'runtime.item.commandExecution.outputDelta':
    case 'runtime.item.fileChange.outputDelta': {
      const item = deltaItem(t, e, p, e.type.includes('fileChange') ? 'fileChange' : 'commandExecution');
      if (item) item.output += String(p.delta ?? '');
      return;
    }
    case 'runtime.turn.plan.updated': {
      const turnId = (p.turnId as string | undefined) ?? e.turnId;
      if (!turnId) return;
      ensureTurn(t, turnId).plan = {
        explanation: (p.explanation as string | null) ?? null,
        steps: (p.plan as PlanStep[] | undefined) ?? [],
      };
      return;
    }
    case 'runtime.turn.diff.updated': {
      const turnId = (p.turnId as string | undefined) ?? e.turnId;
      if (turnId) ensureTurn(t, turnId).diff = (p.diff as string | undefined) ?? null;
      return;
    }
    case 'runtime.thread.tokenUsage.updated':
      if (p.tokenUsage) t.tokenUsage = p.tokenUsage as TokenUsage;
      return;
    case 'runtime.thread.status.changed':
      if (p.status) t.threadStatus = p.status as Transcript['threadStatus'];
      return;
    case 'runtime.error': {
      const turnId = (p.turnId as string | undefined) ?? e.turnId;
      if (turnId && !p.willRetry) ensureTurn(t, turnId).error = errorText(p.error);
      return;
    }
    case 'transcript.updated':
      applyTranscriptRow(t, e);
      return;
    default:
      return;
  }
}

/** A supplemental row written or deleted (`transcript.updated`), shown as a note in its turn. */
function applyTranscriptRow(t: Transcript, e: StreamEvent): void {
  const d = e.data as { rowId?: string; action?: string; op?: string; row?: Record<string, unknown> };
  const id = (d.row?.id as string | undefined) ?? d.rowId;
  if (!id) return;
  const key = `row:${id}`;
  if (d.action === 'deleted' || d.op === 'delete') {
    const row = t.items[key];
    delete t.items[key];
    if (row?.turnId && t.turns[row.turnId])
      t.turns[row.turnId]!.itemIds = t.turns[row.turnId]!.itemIds.filter((x) => x !== key);
    t.looseItemIds = t.looseItemIds.filter((x) => x !== key);
    return;
  }
  if (!d.row) return;
  const turnId = (d.row.turnId as string | undefined) ?? null;
  placeItem(t, supplementalItem(d.row, turnId && t.turns[turnId] ? turnId : null));
}

/** A manager-owned row (`{id, kind, content|text}`) as a chat item keyed `row:<id>`. */
function supplementalItem(row: Record<string, unknown>, turnId: string | null): ChatItem {
  // Rows written through the action API hold `{text, data}`; show their text.
  const raw = row.content ?? row.text ?? '';
  const content =
    raw && typeof raw === 'object' && typeof (raw as { text?: unknown }).text === 'string'
      ? (raw as { text: string }).text
      : raw;
  const kind = String(row.kind ?? 'note');
  const id = `row:${String(row.id)}`;
  return {
    id,
    turnId,
    type: kind,
    done: true,
    text: typeof content === 'string' ? content : JSON.stringify(content),
    summary: [],
    output: '',
    item: { ...row, id, type: kind },
    supplemental: true,
  };
}

/** The turn still running, if any (the newest turn in progress). */
export function activeTurn(t: Transcript): ChatTurn | null {
  for (let i = t.turnOrder.length - 1; i >= 0; i--) {
    const turn = t.turns[t.turnOrder[i]!];
    if (turn && turn.status === 'inProgress') return turn;
  }
  return null;
}
