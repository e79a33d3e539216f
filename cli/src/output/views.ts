import { healthChecks, type Check, type HealthBody } from '../doctor/health-checks';
import type { Style } from './style';
import { cellText, renderTable } from './table';
import { renderUsage } from './usage-view';

/**
 * Human views of response bodies. Generic by shape (a list becomes a table, an object a key/value
 * block) with a few views by operation where a better one exists.
 */
export interface ViewContext {
  style: Style;
  width: number;
}

type View = (body: unknown, ctx: ViewContext) => string;

const VIEWS: Record<string, View> = {
  'system.health': (body, ctx) => renderChecks(healthChecks(body as HealthBody), ctx.style),
  // A document, not a record: keep it as JSON (pipe it to a file or a viewer).
  'system.openapi': (body) => JSON.stringify(body, null, 2),
  'usage.get': (body, ctx) =>
    Array.isArray((body as { rows?: unknown }).rows)
      ? renderUsage(body as Parameters<typeof renderUsage>[0], ctx.style, ctx.width)
      : JSON.stringify(body, null, 2),
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isRows = (v: unknown): v is Record<string, unknown>[] => Array.isArray(v) && v.every(isObject);

export function renderChecks(checks: Check[], style: Style): string {
  const mark = { ok: style.green('✓'), warn: style.yellow('!'), fail: style.red('✗') };
  const w = Math.max(...checks.map((c) => c.name.length));
  return checks
    .map((c) => {
      const head = `${mark[c.status]} ${c.name.padEnd(w)}  ${c.message}`;
      return c.hint ? `${head}\n  ${' '.repeat(w)}  ${style.dim('→ ' + c.hint)}` : head;
    })
    .join('\n');
}

export function renderBody(body: unknown, ctx: ViewContext, operationId?: string): string {
  const view = operationId ? VIEWS[operationId] : undefined;
  if (view && isObject(body)) return view(body, ctx);
  if (body === null || body === undefined) return '';
  if (typeof body === 'string') return body.replace(/\n$/, '');
  if (isRows(body)) return renderTable(body, ctx.style, ctx.width);
  if (!isObject(body)) return JSON.stringify(body, null, 2);
  const entries = Object.entries(body);
  // `{sessions: [...]}` → just the table; `{session: {...}}` → just its fields.
  if (entries.length === 1) {
    const [, only] = entries[0]!;
    if (isRows(only)) return renderTable(only, ctx.style, ctx.width);
    if (isObject(only)) return renderObject(only, ctx, '');
  }
  // One list plus paging scalars (`{data: [...], nextCursor}`) → the table, then what is set.
  const lists = entries.filter(([, v]) => isRows(v));
  if (lists.length === 1 && entries.every(([, v]) => isRows(v) || !(isObject(v) || Array.isArray(v)))) {
    const footer = entries
      .filter(([, v]) => !isRows(v) && v !== null && v !== undefined)
      .map(([k, v]) =>
        ctx.style.dim(k === 'nextCursor' ? `more: add --cursor ${cellText(v)}` : `${k}: ${cellText(v)}`),
      );
    return [renderTable(lists[0]![1] as Record<string, unknown>[], ctx.style, ctx.width), ...footer].join(
      '\n',
    );
  }
  const out: string[] = [];
  const scalars = entries.filter(([, v]) => !isObject(v) && !isRows(v));
  if (scalars.length) out.push(renderObject(Object.fromEntries(scalars), ctx, ''));
  for (const [k, v] of entries) {
    if (isObject(v)) out.push(`${ctx.style.bold(k)}\n${renderObject(v, ctx, '  ')}`);
    else if (isRows(v) && !(Array.isArray(v) && v.length === 0 && scalars.some(([s]) => s === k)))
      out.push(
        `${ctx.style.bold(`${k} (${v.length})`)}\n${indent(renderTable(v, ctx.style, ctx.width - 2), '  ')}`,
      );
  }
  return out.join('\n\n');
}

const indent = (s: string, pad: string) =>
  s
    .split('\n')
    .map((l) => pad + l)
    .join('\n');

function renderObject(obj: Record<string, unknown>, ctx: ViewContext, pad: string): string {
  const keys = Object.keys(obj);
  if (keys.length === 0) return pad + ctx.style.dim('(empty)');
  const w = Math.max(...keys.map((k) => k.length));
  const lines: string[] = [];
  for (const k of keys) {
    const v = obj[k];
    const label = pad + ctx.style.dim(k.padEnd(w));
    if (isRows(v) && v.length > 0) {
      lines.push(`${label}  (${v.length})`);
      lines.push(indent(renderTable(v, ctx.style, ctx.width - pad.length - 2), pad + '  '));
    } else if (isObject(v) && JSON.stringify(v).length > 60) {
      lines.push(label);
      lines.push(renderObject(v, ctx, pad + '  '));
    } else if (Array.isArray(v) && v.every((x) => !isObject(x) && !Array.isArray(x))) {
      lines.push(`${label}  ${v.length ? v.map(cellText).join(', ') : '-'}`);
    } else {
      lines.push(`${label}  ${cellText(v)}`);
    }
  }
  return lines.join('\n');
}
