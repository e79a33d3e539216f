import type { Style } from './style';
import { renderTable } from './table';

/**
 * `cmgr usage get` (operation `usage.get`): token counts read as numbers with thousands separators,
 * cost in dollars, a totals line and the account's rate-limit windows — instead of the generic table,
 * which would show raw camelCase columns and drop the totals.
 */
interface UsageNumbers {
  turns?: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens?: number;
  totalTokens: number;
  cost: number | null;
}

interface UsageBody {
  groupBy: string;
  rows: (UsageNumbers & { key: string; label: string | null })[];
  totals: UsageNumbers;
  currency?: string;
  rateLimits?: Record<string, unknown> | null;
}

const int = (n: unknown) => (typeof n === 'number' ? Math.round(n).toLocaleString('en-US') : '-');
export const money = (n: unknown) =>
  typeof n !== 'number' ? '-' : n === 0 ? '$0' : n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;

const KEY_HEADER: Record<string, string> = {
  turn: 'turn',
  session: 'session',
  project: 'project',
  day: 'day',
};

export function renderUsage(body: UsageBody, style: Style, width: number): string {
  const keyCol = KEY_HEADER[body.groupBy] ?? 'key';
  const rows = body.rows.map((r) => {
    const label = r.label ?? (body.groupBy === 'project' && r.key === '' ? '(no project)' : r.key);
    return {
      [keyCol]: body.groupBy === 'day' ? r.key : label,
      turns: int(r.turns),
      input: int(r.inputTokens),
      cached: int(r.cachedInputTokens),
      output: int(r.outputTokens),
      total: int(r.totalTokens),
      cost: money(r.cost),
      ...(body.groupBy === 'session' || body.groupBy === 'turn' ? { id: r.key } : {}),
    };
  });
  const columns = [keyCol, 'turns', 'input', 'cached', 'output', 'total', 'cost'];
  if (body.groupBy === 'session' || body.groupBy === 'turn') columns.push('id');
  const out = [renderTable(rows, style, width, columns)];
  const t = body.totals;
  if (t)
    out.push(
      style.bold(
        `total: ${int(t.inputTokens)} input (${int(t.cachedInputTokens)} cached), ${int(t.outputTokens)} output, ` +
          `${int(t.totalTokens)} tokens${t.turns !== undefined ? ` in ${int(t.turns)} turns` : ''}; cost ${
            t.cost === null ? '- (a model has no price: set CM_PRICES)' : money(t.cost)
          }`,
      ),
    );
  const limits = rateLimitLines(body.rateLimits ?? null);
  if (limits.length) out.push(style.dim(limits.join('\n')));
  return out.join('\n');
}

interface Window {
  usedPercent?: number;
  windowDurationMins?: number | null;
  resetsAt?: number | null;
}

/** The runtime's rate-limit snapshot: `primary`/`secondary` windows, used percent and reset time. */
export function rateLimitLines(rl: Record<string, unknown> | null): string[] {
  if (!rl) return [];
  const lines: string[] = [];
  // The notification's params are `{rateLimits: {primary, secondary}}`; accept the inner object too.
  const snap = (typeof rl.rateLimits === 'object' && rl.rateLimits ? rl.rateLimits : rl) as Record<
    string,
    unknown
  >;
  for (const name of ['primary', 'secondary']) {
    const w = snap[name] as Window | null | undefined;
    if (!w || typeof w.usedPercent !== 'number') continue;
    const span = typeof w.windowDurationMins === 'number' ? ` of ${spanOf(w.windowDurationMins)}` : '';
    const reset =
      typeof w.resetsAt === 'number' ? `, resets ${new Date(w.resetsAt * 1000).toLocaleString()}` : '';
    lines.push(`rate limit ${name}: ${w.usedPercent}% used${span}${reset}`);
  }
  const observed =
    typeof rl.observedAt === 'string' ? ` (observed ${new Date(rl.observedAt).toLocaleString()})` : '';
  if (lines.length === 0) return [`rate limits: no window reported${observed}`];
  lines[lines.length - 1] += observed;
  return lines;
}

const spanOf = (mins: number) =>
  mins % 1440 === 0 ? `${mins / 1440} d` : mins % 60 === 0 ? `${mins / 60} h` : `${mins} min`;
