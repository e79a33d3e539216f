import type { Stack } from './stack';

/** Polls `fn` until it returns something truthy; generous timeouts (the machine is shared). */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TurnView {
  id: string;
  kind: string;
  status: string;
  durationMs: number | null;
  usage: unknown;
  error: unknown;
}

/** Waits until the read model shows the turn finished; returns it. */
export async function turnEnded(stack: Stack, sessionId: string, turnId: string): Promise<TurnView> {
  return until(`turn ${turnId} to end`, async () => {
    const r = await stack.api<{ turns: TurnView[] }>('GET', `/api/sessions/${sessionId}?transcript=false`);
    const t = r.body.turns.find((x) => x.id === turnId);
    return t && t.status !== 'inProgress' ? t : undefined;
  });
}

/** Row counts of every table an API call could change; equal snapshots mean nothing changed. */
export async function stateSnapshot(stack: Stack): Promise<Record<string, number>> {
  const tables = [
    'sessions',
    'turns',
    'projects',
    'settings',
    'controls',
    'settings_audit',
    'transcript_rows',
    'deleted_sessions',
    'runtime_commands',
  ];
  const out: Record<string, number> = {};
  for (const t of tables) {
    const { rows } = await stack.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
    out[t] = rows[0]!.n;
  }
  const { rows } = await stack.db.pool.query<{ h: string }>(
    `SELECT md5(string_agg(id || coalesce(title, '') || archived || coalesce(project_id::text, ''), ',' ORDER BY id)) AS h FROM sessions`,
  );
  out.sessionsDigest = parseInt((rows[0]!.h ?? '0').slice(0, 8), 16);
  return out;
}
