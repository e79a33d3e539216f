/**
 * Reading `GET /api/health` as a list of checks with actionable hints: used by `cmgr doctor` and as
 * the human view of `cmgr system health`.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: CheckStatus;
  message: string;
  hint?: string;
}

interface Instance {
  pid?: number;
  host?: string;
  ageMs?: number;
  up?: boolean;
}

export interface HealthBody {
  status?: string;
  database?: { ok?: boolean; latencyMs?: number; error?: string };
  runtime?: {
    state?: string;
    version?: string;
    pid?: number;
    restarts?: number;
    lastExit?: { code?: number | null; signal?: string | null; stderrTail?: string } | null;
  };
  auth?: {
    hasOpenAiApiKey?: boolean;
    codexHomeAuthFile?: boolean;
    requiresOpenaiAuth?: boolean;
    likelyUnauthenticated?: boolean;
  } | null;
  services?: Record<string, { up?: boolean; instances?: Instance[] }>;
  eventLog?: { head?: number };
}

const seconds = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);

export function healthChecks(h: HealthBody): Check[] {
  const checks: Check[] = [];
  const db = h.database;
  checks.push(
    db?.ok
      ? { name: 'database', status: 'ok', message: `reachable (${db.latencyMs ?? '?'} ms)` }
      : {
          name: 'database',
          status: 'fail',
          message: `unreachable${db?.error ? `: ${db.error}` : ''}`,
          hint: 'check that PostgreSQL runs and DATABASE_URL points at it (npm start runs an embedded one)',
        },
  );
  for (const [name, s] of Object.entries(h.services ?? {})) {
    const live = (s.instances ?? []).filter((i) => i.up);
    const newest = (s.instances ?? [])[0];
    if (s.up) {
      const i = live[0]!;
      const more = live.length > 1 ? `, ${live.length} instances` : '';
      checks.push({
        name,
        status: 'ok',
        message: `up (pid ${i.pid ?? '?'}, heartbeat ${seconds(i.ageMs)} ago${more})`,
      });
    } else {
      checks.push({
        name,
        status: 'fail',
        message: newest ? `down (last heartbeat ${seconds(newest.ageMs)} ago)` : 'down (never reported)',
        hint: `start or restart the stack (\`npm start\`, or \`docker compose up -d ${name}\`) and read its log`,
      });
    }
  }
  const rt = h.runtime;
  if (rt?.state === 'ready') {
    const restarts = rt.restarts ? `, ${rt.restarts} restarts` : '';
    checks.push({
      name: 'runtime',
      status: 'ok',
      message: `ready (codex ${rt.version ?? '?'}, pid ${rt.pid ?? '?'}${restarts})`,
    });
  } else {
    const exit = rt?.lastExit
      ? `; last exit code ${rt.lastExit.code ?? '-'} signal ${rt.lastExit.signal ?? '-'}`
      : '';
    checks.push({
      name: 'runtime',
      status: 'fail',
      message: `${rt?.state ?? 'unknown'}${exit}`,
      hint:
        rt?.state === 'unknown' || !rt?.state
          ? 'the runtime-bridge is not reporting: check that it runs'
          : 'the runtime-bridge restarts codex app-server with backoff; if it keeps failing read its log (stderr tail in lastExit)',
    });
  }
  const auth = h.auth;
  if (!auth) {
    checks.push({
      name: 'auth',
      status: 'warn',
      message: 'unknown (no runtime-bridge reporting)',
    });
  } else if (auth.likelyUnauthenticated) {
    checks.push({
      name: 'auth',
      status: 'warn',
      message: 'Codex has no credentials: turns will fail',
      hint: 'set OPENAI_API_KEY for `npm start`, or log in with `codex login` into CODEX_HOME; `npm start -- --demo` needs none',
    });
  } else {
    const via = auth.hasOpenAiApiKey
      ? 'OPENAI_API_KEY'
      : auth.codexHomeAuthFile
        ? 'CODEX_HOME/auth.json'
        : auth.requiresOpenaiAuth === false
          ? 'a provider without OpenAI auth'
          : 'runtime account';
    checks.push({ name: 'auth', status: 'ok', message: `credentials via ${via}` });
  }
  if (h.eventLog?.head !== undefined)
    checks.push({ name: 'event log', status: 'ok', message: `head seq ${h.eventLog.head}` });
  return checks;
}
