import type { EventEnvelope } from '../api/event-stream';
import { visibleLength, type Style } from '../output/style';

/**
 * One line per event for `cmgr stream`: seq, local time, type, thread and a short summary picked per
 * event family (the text of a delta, an item's kind and command, a turn's status, a request's kind…).
 */
type Params = Record<string, unknown> & {
  item?: Record<string, unknown>;
  turn?: { id?: string; status?: string; error?: { message?: string } | null };
};

const quote = (s: unknown, max = 80) => {
  const t = JSON.stringify(String(s ?? ''));
  return t.length > max ? t.slice(0, max - 2) + '…"' : t;
};

const compact = (v: unknown, max = 100) => {
  const t = JSON.stringify(v) ?? '';
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
};

function itemSummary(item: Record<string, unknown>): string {
  const type = String(item.type ?? 'item');
  const bits = [type];
  if (item.status) bits.push(String(item.status));
  if (type === 'commandExecution' && item.command) bits.push(quote(item.command, 60));
  if (type === 'commandExecution' && item.exitCode !== undefined && item.exitCode !== null)
    bits.push(`exit ${String(item.exitCode)}`);
  if (type === 'agentMessage' && item.text) bits.push(quote(item.text, 60));
  if (type === 'fileChange' && Array.isArray(item.changes))
    bits.push((item.changes as { path?: string }[]).map((c) => c.path).join(', '));
  if (type === 'dynamicToolCall' && item.tool) bits.push(String(item.tool));
  return bits.join(' ');
}

export function summarize(e: EventEnvelope): string {
  const d = e.data ?? {};
  const params = (d.params ?? {}) as Params;
  if (e.type.startsWith('runtime.')) {
    if (e.type.endsWith('.delta') || e.type.endsWith('Delta')) return quote(params.delta);
    if (params.item) return itemSummary(params.item);
    if (params.turn) {
      const err = params.turn.error?.message ? ` ${quote(params.turn.error.message, 60)}` : '';
      return `${params.turn.status ?? ''}${err}`.trim();
    }
    if (e.type === 'runtime.status') return compact(d, 100);
    if (e.type === 'runtime.thread.status.changed') {
      const st = params.status as { type?: string; activeFlags?: string[] } | undefined;
      return [st?.type, ...(st?.activeFlags ?? [])].filter(Boolean).join(' ');
    }
    if (e.type === 'runtime.error') {
      const err = params.error as { message?: string } | undefined;
      return quote(err?.message, 100);
    }
    const { threadId: _t, turnId: _u, itemId: _i, ...rest } = params;
    return compact(rest);
  }
  if (e.type.startsWith('request.')) {
    const bits = [String(d.kind ?? ''), String(d.requestId ?? '')];
    if (d.decision) bits.push(String(d.decision));
    const by = d.resolvedBy as { actor?: string; source?: string } | undefined;
    if (by?.actor) bits.push(`by ${by.actor}${by.source ? `/${by.source}` : ''}`);
    if (d.reason) bits.push(String(d.reason));
    return bits.filter(Boolean).join(' ');
  }
  return compact(d);
}

const two = (n: number, w = 2) => String(n).padStart(w, '0');

/** One line; with `width` (a terminal), the summary is cut so the line does not wrap. */
export function describeEvent(
  e: EventEnvelope,
  style: Style,
  opts: { showThread: boolean; width?: number | undefined },
): string {
  const t = new Date(e.ts);
  const time = Number.isNaN(t.getTime())
    ? e.ts
    : `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}.${two(t.getMilliseconds(), 3)}`;
  const color = e.type.startsWith('request.')
    ? style.magenta
    : e.type.includes('error') || e.type.endsWith('interrupted')
      ? style.red
      : e.type.startsWith('runtime.')
        ? style.cyan
        : style.yellow;
  const thread = opts.showThread && e.threadId ? ` ${style.dim(e.threadId.slice(0, 8))}` : '';
  const head = `${style.dim(String(e.seq).padStart(6))} ${style.dim(time)} ${color(e.type)}${thread}`;
  let summary = summarize(e);
  if (opts.width) {
    const room = Math.max(10, opts.width - visibleLength(head) - 1);
    if ([...summary].length > room) summary = [...summary].slice(0, room - 1).join('') + '…';
  }
  return `${head} ${summary}`.trimEnd();
}
