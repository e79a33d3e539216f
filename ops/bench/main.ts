import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createPool } from '@codex-manager/core';
import { databaseUrl, ensureDatabase, startEmbeddedPostgres, type Database } from '../launcher/postgres';
import { FloorDriver } from './floor';
import { appendThroughput, fanout, type AppendResult, type FanoutResult } from './log-bench';
import { StackDriver } from './stack';
import { median, round, summarize, table, type Summary } from './stats';
import type { TurnDriver, TurnTiming } from './turn-driver';

/**
 * `npm run bench`: the full stack against the bare app-server floor, in one run, on loopback only.
 * Every loop is bounded in count and every wait in time. Options: --turns N (latency turns per
 * side, default 20), --floods N (default 5), --keep (keep the bench database).
 */
const ROOT = path.resolve(__dirname, '../..');
const DIR = path.join(ROOT, '.data', 'bench');

const { values: args } = parseArgs({
  options: {
    turns: { type: 'string', default: '20' },
    floods: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
});
const TURNS = Math.min(Math.max(Number(args.turns) || 20, 3), 200);
const FLOODS = Math.min(Math.max(Number(args.floods) || 5, 1), 20);
const SESSIONS = 5;
const TURNS_PER_SESSION = 4;

const say = (s: string) => process.stdout.write(`${s}\n`);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>(
      (_, reject) => (t = setTimeout(() => reject(new Error(`bench: ${what} took over ${ms} ms`)), ms)),
    ),
  ]);
}

const turn = (d: TurnDriver, thread: string, text: string) =>
  withTimeout(d.turn(thread, text), 60_000, `${d.name} turn`);

/** 5 sessions, each taking TURNS_PER_SESSION turns one after the other, all at once: turns/s. */
async function concurrentTurns(d: TurnDriver): Promise<number> {
  const threads = await Promise.all(Array.from({ length: SESSIONS }, () => d.newThread()));
  const t0 = performance.now();
  await Promise.all(
    threads.map(async (t) => {
      for (let i = 0; i < TURNS_PER_SESSION; i++) await turn(d, t, 'scn:text');
    }),
  );
  return (SESSIONS * TURNS_PER_SESSION) / ((performance.now() - t0) / 1000);
}

/** Deltas per second a client sees during a 2,000-delta burst, first delta event to last. */
function burstRate(t: TurnTiming): number {
  return (t.deltas - t.inFirst) / ((t.lastAt - t.firstAt) / 1000);
}

async function openDatabase(): Promise<{ url: string; admin: string; server: Database | null }> {
  const name = `cm_bench_${randomBytes(3).toString('hex')}`;
  if (process.env.DATABASE_URL) {
    const admin = databaseUrl(process.env.DATABASE_URL, 'postgres');
    return { url: await ensureDatabase(admin, name), admin, server: null };
  }
  const server = await startEmbeddedPostgres(path.join(DIR, 'pg'));
  return { url: await ensureDatabase(server.adminUrl, name), admin: server.adminUrl, server };
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${round(os.totalmem() / 2 ** 30, 0)} GiB, ${os.type()} ${os.release()}, node ${process.version}, load ${os
    .loadavg()
    .map((l) => round(l, 2))
    .join(' ')}`;
}

async function main(): Promise<void> {
  fs.mkdirSync(DIR, { recursive: true });
  say(`machine: ${machine()}`);
  const db = await openDatabase();
  const runDir = path.join(DIR, `run-${Date.now()}`);
  let floor: FloorDriver | null = null;
  let stack: StackDriver | null = null;
  const pool = createPool(db.url, { max: 4, applicationName: 'codex-manager-bench' });
  try {
    say('starting the floor (bare app-server) and the stack (npm start -- --demo)…');
    floor = await FloorDriver.start(runDir);
    stack = await StackDriver.start(path.join(runDir, 'stack'), db.url);
    const sides: TurnDriver[] = [floor, stack];
    const threads = new Map<TurnDriver, string>();
    for (const d of sides) {
      threads.set(d, await d.newThread());
      for (let i = 0; i < 2; i++) await turn(d, threads.get(d)!, 'scn:text'); // warm-up
    }

    say(`latency: ${TURNS} scn:text turns per side, alternating…`);
    const lat = new Map<TurnDriver, TurnTiming[]>(sides.map((d) => [d, []]));
    for (let i = 0; i < TURNS; i++) {
      for (const d of i % 2 === 0 ? sides : [...sides].reverse())
        lat.get(d)!.push(await turn(d, threads.get(d)!, 'scn:text'));
    }

    say(`concurrency: ${SESSIONS} sessions × ${TURNS_PER_SESSION} turns, two rounds per side…`);
    const tps = new Map<TurnDriver, number[]>(sides.map((d) => [d, []]));
    for (let round = 0; round < 2; round++) for (const d of sides) tps.get(d)!.push(await concurrentTurns(d));

    say(`burst: ${FLOODS} × scn:flood:2000 per side, alternating…`);
    const bursts = new Map<TurnDriver, TurnTiming[]>(sides.map((d) => [d, []]));
    for (let i = 0; i < FLOODS; i++) {
      for (const d of sides) bursts.get(d)!.push(await turn(d, await d.newThread(), 'scn:flood:2000'));
    }
    const rows = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events WHERE type = 'runtime.item.agentMessage.delta'
         AND turn_id = (SELECT turn_id FROM events WHERE type = 'runtime.turn.completed' ORDER BY seq DESC LIMIT 1)`,
    );

    say('fan-out and event-log append…');
    const fan: FanoutResult[] = [];
    for (const n of [1, 20])
      fan.push(await withTimeout(fanout(stack.url, pool, n, 20_000), 180_000, `fan-out to ${n}`));
    const appends: AppendResult[] = [
      await appendThroughput(pool, 1, 2000),
      await appendThroughput(pool, 100, 50_000),
    ];

    report({ lat, tps, bursts, floor, stack, coalescedRows: rows.rows[0]?.n ?? 0, fan, appends });
  } finally {
    await stack?.stop().catch(() => undefined);
    await floor?.stop().catch(() => undefined);
    await pool.end();
    if (!args.keep) {
      const admin = new pg.Client({ connectionString: db.admin });
      await admin.connect();
      await admin
        .query(`DROP DATABASE IF EXISTS "${new URL(db.url).pathname.slice(1)}" WITH (FORCE)`)
        .catch(() => undefined);
      await admin.end();
      fs.rmSync(runDir, { recursive: true, force: true });
    }
    await db.server?.stop();
  }
}

interface Results {
  lat: Map<TurnDriver, TurnTiming[]>;
  tps: Map<TurnDriver, number[]>;
  bursts: Map<TurnDriver, TurnTiming[]>;
  floor: TurnDriver;
  stack: TurnDriver;
  coalescedRows: number;
  fan: FanoutResult[];
  appends: AppendResult[];
}

function report(r: Results): void {
  const s = (d: TurnDriver, f: (t: TurnTiming) => number): Summary => summarize(r.lat.get(d)!.map(f));
  const first = [s(r.floor, (t) => t.firstDeltaMs), s(r.stack, (t) => t.firstDeltaMs)] as const;
  const done = [s(r.floor, (t) => t.completedMs), s(r.stack, (t) => t.completedMs)] as const;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const tps = [mean(r.tps.get(r.floor)!), mean(r.tps.get(r.stack)!)] as const;
  const burst = [
    median(r.bursts.get(r.floor)!.map(burstRate)),
    median(r.bursts.get(r.stack)!.map(burstRate)),
  ] as const;
  const check = (ratio: number, target: number, higherIsBetter: boolean) =>
    `${round(ratio, 2)}× (target ${higherIsBetter ? '≥' : '≤'} ${target}: ${(higherIsBetter ? ratio >= target : ratio <= target) ? 'met' : 'MISSED'})`;
  say('');
  say(
    table([
      ['metric', 'floor', 'stack', 'stack / floor'],
      [
        'message → first delta p50 (ms)',
        first[0].p50,
        first[1].p50,
        check(first[1].p50 / first[0].p50, 1.2, false),
      ],
      [
        'message → first delta p90 (ms)',
        first[0].p90,
        first[1].p90,
        `${round(first[1].p90 / first[0].p90, 2)}×`,
      ],
      [
        'message → first delta p95 (ms)',
        first[0].p95,
        first[1].p95,
        `${round(first[1].p95 / first[0].p95, 2)}×`,
      ],
      [
        'message → turn completed p50 (ms)',
        done[0].p50,
        done[1].p50,
        check(done[1].p50 / done[0].p50, 1.2, false),
      ],
      [
        'message → turn completed p95 (ms)',
        done[0].p95,
        done[1].p95,
        `${round(done[1].p95 / done[0].p95, 2)}×`,
      ],
      [`${SESSIONS} sessions: turns/s`, tps[0], tps[1], check(tps[1] / tps[0], 0.85, true)],
      ['2,000-delta burst: deltas/s seen', burst[0], burst[1], check(burst[1] / burst[0], 0.8, true)],
    ]),
  );
  say(
    `(latency over ${r.lat.get(r.floor)!.length} turns per side; burst: median of ${r.bursts.get(r.floor)!.length} runs;`,
  );
  say(` the last 2,000-delta burst was stored as ${r.coalescedRows} coalesced delta events)`);
  say('');
  say(
    table([
      [
        'fan-out (socket.io, 20,000 events)',
        'events/s per client',
        'deliveries/s',
        'append→client p50 (ms)',
        'p90 (ms)',
      ],
      ...r.fan.map((f) => [
        `${f.clients} client${f.clients > 1 ? 's' : ''}`,
        f.perClientPerSec,
        f.deliveriesPerSec,
        f.latency.p50,
        f.latency.p90,
      ]),
    ]),
  );
  say('');
  say(
    table([
      ['event-log append (one writer)', 'events', 'events/s'],
      ...r.appends.map((a) => [`${a.batch} per transaction`, a.events, a.perSec]),
    ]),
  );
  const out = path.join(DIR, 'last-run.json');
  fs.writeFileSync(
    out,
    JSON.stringify(
      {
        machine: machine(),
        at: new Date().toISOString(),
        first,
        done,
        tps,
        burst,
        coalescedRows: r.coalescedRows,
        fan: r.fan,
        appends: r.appends,
      },
      null,
      2,
    ),
  );
  say(`\nresults saved to ${path.relative(ROOT, out)}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
