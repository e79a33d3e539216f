import type { PriceTable, Queryable } from '@codex-manager/core';

export const USAGE_GROUPS = ['turn', 'session', 'project', 'day'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

const TOKEN_FIELDS = [
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'reasoningOutputTokens',
  'totalTokens',
] as const;
type Tokens = Record<(typeof TOKEN_FIELDS)[number], number>;

export interface UsageRow extends Tokens {
  key: string;
  label: string | null;
  turns: number;
  cost: number | null;
}

/** One turn's usage: the sum of `tokenUsage.last` over its usage notifications. */
interface TurnUsage extends Tokens {
  session_id: string;
  turn_id: string | null;
  first_ts: Date;
  model: string | null;
  session_title: string | null;
  project_id: string | null;
  project_name: string | null;
}

export interface UsageQuery {
  groupBy: UsageGroup;
  sessionId?: string | undefined;
  projectId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
}

const zero = (): Tokens => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningOutputTokens: 0,
  totalTokens: 0,
});

/**
 * Cost of some tokens at a model's price (USD per million). Cached input is part of input in the
 * runtime's numbers, so it is taken out of the input price and charged at the cached price.
 */
export function costOf(t: Tokens, model: string | null, prices: PriceTable): number | null {
  const p = model ? prices[model] : undefined;
  if (!p) return null;
  const cached = Math.min(t.cachedInputTokens, t.inputTokens);
  const usd =
    ((t.inputTokens - cached) * p.input + cached * (p.cachedInput ?? p.input) + t.outputTokens * p.output) /
    1e6;
  return round(usd);
}

/** Usage by turn, session, project or day, from the runtime's own usage notifications. */
export async function readUsage(db: Queryable, q: UsageQuery, prices: PriceTable) {
  const where = [`e.type = 'runtime.thread.tokenUsage.updated'`];
  const values: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    values.push(v);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (q.sessionId) add('e.thread_id = ?', q.sessionId);
  if (q.projectId) add('s.project_id::text = ?', q.projectId);
  if (q.from) add('e.ts >= ?', q.from);
  if (q.to) add('e.ts < ?', q.to);
  const sum = (f: string) =>
    `sum(COALESCE((e.data->'params'->'tokenUsage'->'last'->>'${f}')::bigint, 0))::float8 AS "${f}"`;
  const { rows } = await db.query<TurnUsage>(
    `SELECT e.thread_id AS session_id, e.turn_id, min(e.ts) AS first_ts,
            ${TOKEN_FIELDS.map(sum).join(', ')},
            s.model, s.title AS session_title, s.project_id::text AS project_id, p.name AS project_name
     FROM events e
     LEFT JOIN sessions s ON s.id = e.thread_id
     LEFT JOIN projects p ON p.id = s.project_id
     WHERE ${where.join(' AND ')}
     GROUP BY e.thread_id, e.turn_id, s.model, s.title, s.project_id, p.name`,
    values,
  );

  const groups = new Map<string, UsageRow & { sortTs: number }>();
  const totals = { ...zero(), turns: 0, cost: 0 as number | null };
  for (const t of rows) {
    const key = keyOf(q.groupBy, t);
    let g = groups.get(key);
    if (!g) {
      g = { key, label: labelOf(q.groupBy, t), turns: 0, ...zero(), cost: 0, sortTs: 0 };
      groups.set(key, g);
    }
    const cost = costOf(t, t.model, prices);
    for (const f of TOKEN_FIELDS) {
      g[f] += t[f];
      totals[f] += t[f];
    }
    g.turns++;
    totals.turns++;
    g.sortTs = Math.max(g.sortTs, t.first_ts.getTime());
    g.cost = addCost(g.cost, cost);
    totals.cost = addCost(totals.cost, cost);
  }
  const list = [...groups.values()].map(({ sortTs, ...row }) => ({
    row: { ...row, cost: row.cost === null ? null : round(row.cost) },
    sortTs,
  }));
  list.sort((a, b) =>
    q.groupBy === 'turn' || q.groupBy === 'day' ? b.sortTs - a.sortTs : b.row.totalTokens - a.row.totalTokens,
  );
  return {
    rows: list.slice(0, q.limit).map((x) => x.row),
    totals: { ...totals, cost: totals.cost === null ? null : round(totals.cost) },
  };
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;
/** A sum of costs is unknown once any part of it is (a model without a price). */
const addCost = (sum: number | null, cost: number | null) =>
  sum === null || cost === null ? null : sum + cost;

function keyOf(g: UsageGroup, t: TurnUsage): string {
  switch (g) {
    case 'turn':
      return t.turn_id ?? `${t.session_id}:-`;
    case 'session':
      return t.session_id;
    case 'project':
      return t.project_id ?? '';
    case 'day':
      return t.first_ts.toISOString().slice(0, 10);
  }
}

function labelOf(g: UsageGroup, t: TurnUsage): string | null {
  if (g === 'turn' || g === 'session') return t.session_title;
  if (g === 'project') return t.project_name;
  return null;
}

/** The newest rate-limit snapshot the runtime reported, with when it was seen. */
export async function latestRateLimits(db: Queryable): Promise<Record<string, unknown> | null> {
  const { rows } = await db.query<{ data: { params?: { rateLimits?: Record<string, unknown> } }; ts: Date }>(
    `SELECT data, ts FROM events WHERE type = 'runtime.account.rateLimits.updated' ORDER BY seq DESC LIMIT 1`,
  );
  const r = rows[0];
  const limits = r?.data.params?.rateLimits;
  return r && limits ? { ...limits, observedAt: r.ts.toISOString() } : null;
}
