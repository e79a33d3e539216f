import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SseClient } from '../../test/helpers/sse';

/**
 * `npm run bench:background`: does background work slow down a foreground turn? Starts the stack in
 * demo mode (embedded PostgreSQL under .data/bench-background), measures a foreground turn's
 * first-delta time (POST /messages sent → first agentMessage delta on the SSE stream) idle, then
 * again while 20 instruction jobs run worker turns in the same runtime, and prints both.
 *
 * Options: BENCH_TURNS (foreground turns per phase, default 10), BENCH_JOBS (default 20).
 */
const ROOT = path.resolve(__dirname, '../..');
const TURNS = Number(process.env.BENCH_TURNS ?? 10);
const JOBS = Number(process.env.BENCH_JOBS ?? 20);
const DATA = path.join(ROOT, '.data', 'bench-background');

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)} ms, p90 ${pct(xs, 90).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

async function main(): Promise<void> {
  fs.rmSync(DATA, { recursive: true, force: true });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'ops/launcher/main.ts',
      '--demo',
      '--port',
      '0',
      '--data-dir',
      DATA,
      '--queue-concurrency',
      String(JOBS),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('SIGINT', () => {
    stop();
    process.exit(130);
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`stack not ready:\n${out}`)), 120_000);
      child.stdout!.on('data', () => {
        const m = /ready at (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    const api = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
      const res = await fetch(url + route, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await res.json()) as T;
    };
    const session = (await api<{ session: { id: string } }>('POST', '/api/sessions', {})).session.id;
    const stream = new SseClient(`${url}/api/stream?threads=${session}`);
    await stream.waitFor((c) => c.frames.some((f) => f.event === 'ready'), 10_000, 'ready frame');

    async function turn(): Promise<number> {
      const t0 = performance.now();
      const { turn } = await api<{ turn: { id: string } }>('POST', `/api/sessions/${session}/messages`, {
        text: 'scn:text',
      });
      await stream.waitFor(
        (c) => c.events.some((e) => e.turnId === turn.id && e.type === 'runtime.item.agentMessage.delta'),
        60_000,
        'first delta',
      );
      const first = performance.now() - t0;
      await stream.waitFor(
        (c) => c.events.some((e) => e.turnId === turn.id && e.type === 'runtime.turn.completed'),
        60_000,
        'turn end',
      );
      return first;
    }

    await turn(); // warm-up: first turn of a fresh runtime
    const idle: number[] = [];
    for (let i = 0; i < TURNS; i++) idle.push(await turn());

    const jobIds: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const { job } = await api<{ job: { id: string } }>('POST', '/api/jobs', {
        type: 'instruction',
        payload: { owner: `bench-${i}`, agent: 'load', instruction: 'scn:slow:150x100' },
      });
      jobIds.push(job.id);
    }
    const running = async () =>
      (
        await Promise.all(jobIds.map((id) => api<{ job: { status: string } }>('GET', `/api/jobs/${id}`)))
      ).filter((r) => r.job.status === 'running').length;
    const deadline = Date.now() + 60_000;
    while ((await running()) < JOBS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const runningAtStart = await running();
    const loaded: number[] = [];
    for (let i = 0; i < TURNS; i++) loaded.push(await turn());
    const runningAtEnd = await running();
    await stream.close();

    console.log(`foreground first-delta, idle:                 ${fmt(idle)}`);
    console.log(`foreground first-delta, ${JOBS} jobs enqueued:     ${fmt(loaded)}`);
    console.log(
      `background jobs running when measuring began: ${runningAtStart}, when it ended: ${runningAtEnd}`,
    );
    console.log(`p50 change: ${(pct(loaded, 50) - pct(idle, 50)).toFixed(1)} ms`);
    for (const id of jobIds) await api('POST', `/api/jobs/${id}/cancel`);
  } finally {
    stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
