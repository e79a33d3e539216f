import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { EventEnvelope } from '@codex-manager/core';
import { databaseUrl, ensureDatabase, startEmbeddedPostgres } from '../launcher/postgres';
import { FloorDriver } from './floor';
import { StackDriver, streamClient } from './stack';
import { median, round, table } from './stats';

/**
 * `npm run bench:profile`: where a stack turn's time and CPU go. Runs N `scn:text` turns through the
 * stack, each followed by one on the floor, and prints
 * - the median of each hop, from the database's own timestamps and a stream client's arrival times
 *   (one clock: everything runs on this machine);
 * - the CPU time each process spent per turn (from /proc), stack and floor side by side;
 * - with --statements (embedded PostgreSQL only), the statements each service sent per turn, from
 *   PostgreSQL's statement log.
 * A tool to find overhead, not a benchmark of record (`npm run bench` is).
 */
const ROOT = path.resolve(__dirname, '../..');
const DIR = path.join(ROOT, '.data', 'bench');
const { values: args } = parseArgs({
  options: { turns: { type: 'string', default: '20' }, statements: { type: 'boolean', default: false } },
});
const TURNS = Math.min(Math.max(Number(args.turns) || 20, 3), 200);
const WARMUP = 2;
const now = () => performance.timeOrigin + performance.now();
const say = (s: string) => process.stdout.write(`${s}\n`);

interface Marks {
  post: number;
  answered?: number;
  arrivals: Map<string, number>;
}

/** CPU milliseconds used so far by each process below this one, keyed by what it is. */
function cpuByProcess(): Map<string, number> {
  const procs = execSync('ps -eo pid=,ppid=,args=')
    .toString()
    .trim()
    .split('\n')
    .map((l) => {
      const [pid, ppid, ...rest] = l.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), args: rest.join(' ') };
    });
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs)
      if (mine.has(p.ppid) && !mine.has(p.pid)) {
        mine.add(p.pid);
        grew = true;
      }
  }
  const parentOf = new Map(procs.map((p) => [p.pid, p.ppid]));
  const floorAppServer = (p: { pid: number; args: string }) =>
    p.args.includes('app-server') && parentOf.get(p.pid) === process.pid;
  const out = new Map<string, number>();
  for (const p of procs) {
    if (!mine.has(p.pid) || p.pid === process.pid) continue;
    let stat: string[];
    try {
      stat = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    } catch {
      continue; // exited
    }
    const service = /services\/([a-z-]+)\/src\/main\.ts/.exec(p.args)?.[1];
    const key = floorAppServer(p)
      ? 'floor: app-server'
      : service
        ? `stack: ${service}`
        : p.args.includes('app-server')
          ? 'stack: app-server'
          : p.args.includes('launcher/main.ts')
            ? 'stack: launcher (and the scripted model)'
            : /\bpostgres\b/.test(p.args)
              ? 'stack: postgres'
              : null;
    if (!key) continue;
    // utime + stime, in clock ticks of 10 ms
    out.set(key, (out.get(key) ?? 0) + (Number(stat[11]) + Number(stat[12])) * 10);
  }
  return out;
}

/**
 * PostgreSQL's statement log of the profiled turns, by service (`application_name`). Turned on for
 * the bench database only while the turns run; the server's log line prefix is restored after.
 */
class StatementLog {
  #lines: string[] = [];
  #recording = false;

  onLog = (line: string): void => {
    if (this.#recording) this.#lines.push(...line.split('\n'));
  };

  static async enable(admin: string, database: string): Promise<StatementLog> {
    const a = new pg.Client({ connectionString: admin });
    await a.connect();
    await a.query(`ALTER SYSTEM SET log_line_prefix = '%a|'`);
    await a.query(`ALTER DATABASE ${database} SET log_statement = 'all'`);
    await a.query('SELECT pg_reload_conf()');
    await a.end();
    return new StatementLog();
  }

  /** Resets the server's log line prefix, on an admin connection of the caller's. */
  static async restore(admin: pg.Client): Promise<void> {
    await admin.query('ALTER SYSTEM RESET log_line_prefix');
    await admin.query('SELECT pg_reload_conf()');
  }

  record(on: boolean): void {
    this.#recording = on;
  }

  /** Statements per turn by service, then the most frequent statements. */
  report(turns: number): void {
    const byService = new Map<string, number>();
    const byStatement = new Map<string, number>();
    for (const line of this.#lines) {
      const m = /^(?:codex-manager-)?([^|]*)\|LOG: {2}(?:statement|execute [^:]*): (.*)$/.exec(line);
      if (!m) continue;
      const service = m[1] || '(unnamed)';
      byService.set(service, (byService.get(service) ?? 0) + 1);
      const key = `${service}: ${m[2]!.replace(/\s+/g, ' ').slice(0, 70)}`;
      byStatement.set(key, (byStatement.get(key) ?? 0) + 1);
    }
    const perTurn = (m: Map<string, number>) =>
      [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, round(n / turns, 1)] as [string, number]);
    say('\nStatements per turn, by service (PostgreSQL statement log):');
    say(table([['service', 'statements per turn'], ...perTurn(byService)]));
    say(table([['most frequent', 'per turn'], ...perTurn(byStatement).slice(0, 15)]));
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(DIR, { recursive: true });
  const name = `cm_profile_${randomBytes(3).toString('hex')}`;
  if (args.statements && process.env.DATABASE_URL)
    throw new Error('--statements reads the embedded PostgreSQL log: unset DATABASE_URL');
  let statements: StatementLog | null = null;
  const server = process.env.DATABASE_URL
    ? null
    : await startEmbeddedPostgres(path.join(DIR, 'pg'), (line) => statements?.onLog(line));
  const admin = server ? server.adminUrl : databaseUrl(process.env.DATABASE_URL!, 'postgres');
  const url = await ensureDatabase(admin, name);
  if (args.statements) statements = await StatementLog.enable(admin, name);
  const runDir = path.join(DIR, `profile-${Date.now()}`);
  const floor = await FloorDriver.start(runDir);
  const stack = await StackDriver.start(path.join(runDir, 'stack'), url);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  let current: { thread: string; m: Marks; done: () => void } | null = null;
  const socket = await streamClient(stack.url, (batch: EventEnvelope[], at) => {
    for (const e of batch) {
      if (!current || e.threadId !== current.thread) continue;
      const key = e.type === 'runtime.item.agentMessage.delta' ? 'delta' : e.type;
      if (!current.m.arrivals.has(key)) current.m.arrivals.set(key, performance.timeOrigin + at);
      if (e.type === 'runtime.turn.completed') current.done();
    }
  });
  try {
    say(`profiling ${TURNS} turns per side…`);
    const thread = await stack.newThread();
    const floorThread = await floor.newThread();
    const marks = new Map<string, Marks>();
    const floorFirst: number[] = [];
    let cpu0 = new Map<string, number>();
    for (let i = 0; i < TURNS + WARMUP; i++) {
      if (i === WARMUP) {
        cpu0 = cpuByProcess();
        statements?.record(true);
      }
      const m: Marks = { post: now(), arrivals: new Map() };
      const completed = new Promise<void>((done) => (current = { thread, m, done }));
      const res = await fetch(`${stack.url}/api/sessions/${thread}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'scn:text' }),
      });
      m.answered = now();
      const body = (await res.json()) as { turn: { id: string } };
      await completed;
      const f = await floor.turn(floorThread, 'scn:text');
      if (i >= WARMUP) {
        marks.set(body.turn.id, m);
        floorFirst.push(f.firstDeltaMs);
      }
    }
    const cpu1 = cpuByProcess();
    statements?.record(false);

    const hops = new Map<string, number[]>();
    const add = (k: string, v: number) => hops.set(k, [...(hops.get(k) ?? []), v]);
    for (const [turnId, m] of marks) {
      const { rows: cmd } = await db.query<{ created: number; claimed: number; completed: number }>(
        `SELECT extract(epoch from created_at) * 1000 AS created, extract(epoch from claimed_at) * 1000 AS claimed,
                extract(epoch from completed_at) * 1000 AS completed
         FROM runtime_commands WHERE method = 'turn/start' AND result->'turn'->>'id' = $1`,
        [turnId],
      );
      const { rows: ev } = await db.query<{ type: string; ts: number }>(
        `SELECT type, min(extract(epoch from ts) * 1000) AS ts FROM events WHERE turn_id = $1 GROUP BY type`,
        [turnId],
      );
      const c = cmd[0];
      const t = new Map(ev.map((r) => [r.type, Number(r.ts)]));
      const started = t.get('runtime.turn.started');
      const delta = t.get('runtime.item.agentMessage.delta');
      const done = t.get('runtime.turn.completed');
      const arrived = (k: string) => m.arrivals.get(k);
      if (!c || !started || !delta || !done || !arrived('delta')) continue;
      add('POST sent → command row', Number(c.created) - m.post);
      add('command row → claimed by the runtime-bridge', Number(c.claimed) - Number(c.created));
      add('claimed → turn.started stored', started - Number(c.claimed));
      add('claimed → command done', Number(c.completed) - Number(c.claimed));
      add('command done → POST answered', m.answered! - Number(c.completed));
      add('turn.started stored → first delta stored', delta - started);
      add('first delta stored → at the client', arrived('delta')! - delta);
      add('turn.completed stored → at the client', arrived('runtime.turn.completed')! - done);
      add('POST sent → first delta at the client', arrived('delta')! - m.post);
    }
    say(`\nfloor: turn/start → first delta p50 ${round(median(floorFirst), 1)} ms`);
    say(table([['stack hop', 'p50 (ms)'], ...[...hops].map(([k, v]) => [k, round(median(v), 1)])]));
    say('\nCPU per turn (ms), from /proc:');
    say(
      table([
        ['process', 'ms per turn'],
        ...[...cpu1]
          .map(([k, v]) => [k, round((v - (cpu0.get(k) ?? 0)) / TURNS, 1)] as [string, number])
          .sort((a, b) => a[0].localeCompare(b[0])),
      ]),
    );
    statements?.report(TURNS);
  } finally {
    socket.close();
    await db.end();
    await stack.stop();
    await floor.stop();
    const a = new pg.Client({ connectionString: admin });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    if (statements) await StatementLog.restore(a);
    await a.end();
    await server?.stop();
  }
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
