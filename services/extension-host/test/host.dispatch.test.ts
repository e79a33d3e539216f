import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventLog, EXTENSION_RELOAD_CHANNEL } from '../../core/src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

// The real extension-host process over a real database, with extensions written to a temporary
// root: what an extension author's code goes through, from discovery to dispatch and reload.
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const SESSION = 'ext-test-session';
let db: TestDatabase;
let dir: string;
let host: ChildProcess;
let output = '';

interface Ext {
  name: string;
  priority?: number;
  events?: string[];
  capabilities?: string[];
  coreApi?: string;
  timeoutMs?: number;
  /** Body of `register(ext)`. `note(ctx, event, label)` records a call as a transcript row. */
  body: string;
}

function writeExtension(e: Ext): void {
  const d = path.join(dir, e.name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(
    path.join(d, 'extension.json'),
    JSON.stringify({
      name: e.name,
      version: '1.0.0',
      coreApi: e.coreApi ?? '^1.0.0',
      events: e.events ?? ['test.*'],
      capabilities: e.capabilities ?? ['transcript.write'],
      priority: e.priority ?? 0,
      ...(e.timeoutMs ? { timeoutMs: e.timeoutMs } : {}),
    }),
  );
  fs.writeFileSync(
    path.join(d, 'index.mjs'),
    `const note = (ctx, event, label) => ctx.actions.upsertTranscriptRow({
       sessionId: '${SESSION}', rowId: label + ':' + event.seq, kind: 'test', text: label });
     export default function register(ext) { ${e.body} }\n`,
  );
}

async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function emit(type: string): Promise<number> {
  const r = await new EventLog(db.pool).append([{ type, threadId: SESSION, source: 'test', data: {} }]);
  return r!.last;
}

/** Labels noted for event `seq`, in the order the handlers ran. */
async function notes(seq: number): Promise<string[]> {
  const { rows } = await db.pool.query<{ text: string }>(
    `SELECT COALESCE(data->'row'->'content'->>'text', data->'row'->>'content') AS text FROM events
     WHERE type = 'transcript.updated' AND data->'row'->>'id' LIKE '%:' || $1 ORDER BY seq`,
    [String(seq)],
  );
  return rows.map((r) => r.text);
}

const inventory = async () =>
  (
    await db.pool.query<{
      name: string;
      state: string;
      handler_stats: Record<string, { calls: number; failures: number; timeouts: number }>;
      last_errors: { kind: string; code: string; eventSeq: number }[];
      load_error: string | null;
    }>('SELECT * FROM extensions ORDER BY name')
  ).rows;

async function reload(): Promise<{ status: string; error: { invalid?: { name: string }[] } | null }> {
  const { rows } = await db.pool.query<{ id: string }>(
    `WITH r AS (INSERT INTO extension_reloads (requested_by, source) VALUES ('tester', 'test') RETURNING id)
     SELECT id, pg_notify('${EXTENSION_RELOAD_CHANNEL}', id::text) FROM r`,
  );
  return until('reload to finish', async () => {
    const r = await db.pool.query('SELECT status, error FROM extension_reloads WHERE id = $1', [rows[0]!.id]);
    return ['succeeded', 'failed'].includes(r.rows[0].status) ? r.rows[0] : null;
  });
}

beforeAll(async () => {
  db = await createTestDatabase('ext_host');
  await db.pool.query(`INSERT INTO sessions (id, title) VALUES ($1, 'fixture')`, [SESSION]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-ext-'));
  writeExtension({
    name: 'alpha',
    body: `ext.on('test.ping', (e, ctx) => note(ctx, e, 'alpha.1'));
           ext.on('test.ping', (e, ctx) => note(ctx, e, 'alpha.2'));`,
  });
  writeExtension({ name: 'beta', priority: 5, body: `ext.on('test.*', (e, ctx) => note(ctx, e, 'beta'));` });
  writeExtension({ name: 'gamma', body: `ext.on('test.ping', (e, ctx) => note(ctx, e, 'gamma'));` });
  writeExtension({
    name: 'idle',
    events: ['other.event'],
    body: `ext.on('other.event', (e, ctx) => note(ctx, e, 'idle'));`,
  });
  writeExtension({
    name: 'boom',
    priority: 3,
    body: `ext.on('test.fail', () => { throw new Error('handler exploded'); });`,
  });
  writeExtension({
    name: 'slow',
    priority: 10,
    timeoutMs: 300,
    body: `ext.on('test.slow', (e, ctx) => new Promise((r) => setTimeout(r, 5000)));`,
  });
  writeExtension({
    name: 'sneaky',
    body: `ext.on('test.sneak', (e, ctx) => ctx.actions.renameSession({ sessionId: '${SESSION}', title: 'pwned' }));`,
  });
  writeExtension({ name: 'future', coreApi: '^2.0.0', body: `ext.on('test.ping', () => undefined);` });
  host = spawn(process.execPath, ['--import', 'tsx', 'services/extension-host/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      CM_BUNDLED_EXTENSIONS: 'false',
      CM_EXTENSION_ROOTS: dir,
      CM_EXTENSION_TIMEOUT_MS: '2000',
      CM_QUEUE_ENABLED: 'false',
      CM_LOG_LEVEL: 'warn',
      CM_HEARTBEAT_INTERVAL_MS: '500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await until(
    'the extension host to run',
    async () =>
      (
        await db.pool.query(
          `SELECT 1 FROM service_heartbeats WHERE service = 'extension-host' AND status = 'running'`,
        )
      ).rows.length > 0,
    60_000,
  );
});

afterAll(async () => {
  if (host && host.exitCode === null) {
    const exited = new Promise((r) => host.once('exit', r));
    host.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  await db?.drop();
});

describe('the extension host', () => {
  it('lists every extension with its state: incompatible ones stay inactive', async () => {
    const inv = await inventory();
    expect(inv.map((e) => [e.name, e.state])).toEqual([
      ['alpha', 'active'],
      ['beta', 'active'],
      ['boom', 'active'],
      ['future', 'incompatible'],
      ['gamma', 'active'],
      ['idle', 'active'],
      ['slow', 'active'],
      ['sneaky', 'active'],
    ]);
    expect(inv.find((e) => e.name === 'future')!.load_error).toMatch(/core API \^2\.0\.0/);
  });

  it('runs handlers by priority, then name, then registration order; 0, 1 and N handlers alike', async () => {
    const seq = await emit('test.ping');
    await until('all handlers', async () => (await notes(seq)).length >= 4);
    expect(await notes(seq)).toEqual(['beta', 'alpha.1', 'alpha.2', 'gamma']);
    const other = await emit('test.other');
    await until('the one handler', async () => (await notes(other)).length >= 1);
    expect(await notes(other)).toEqual(['beta']);
    // Every extension's durable cursor moves past events it has no handler for.
    const head = await emit('nobody.listens');
    await until('cursors at the head', async () => {
      const { rows } = await db.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM extension_cursors WHERE seq >= $1',
        [head],
      );
      return rows[0]!.n === 7;
    });
  });

  it('isolates a failing handler and a timed-out one: the others still run, both are recorded', async () => {
    const failing = await emit('test.fail');
    const slow = await emit('test.slow');
    const after = await emit('test.ping');
    await until('handlers after the failures', async () => (await notes(after)).length >= 4);
    expect(await notes(failing)).toEqual(['beta']);
    expect(await notes(slow)).toEqual(['beta']);
    const { rows } = await db.pool.query<{ data: { extension: string; error: { code: string } } }>(
      `SELECT data FROM events WHERE type = 'extension.handler.failed' ORDER BY seq`,
    );
    expect(rows.map((r) => [r.data.extension, r.data.error.code])).toEqual([
      ['boom', 'error'],
      ['slow', 'timeout'],
    ]);
    await until('stats flushed', async () => {
      const inv = await inventory();
      const boom = inv.find((e) => e.name === 'boom')!;
      const slowExt = inv.find((e) => e.name === 'slow')!;
      return (
        boom.handler_stats['test.fail#0']?.failures === 1 &&
        slowExt.handler_stats['test.slow#0']?.timeouts === 1 &&
        boom.last_errors[0]?.eventSeq === failing
      );
    });
  });

  it('refuses an action whose capability the manifest does not declare (trust: enforced)', async () => {
    const seq = await emit('test.sneak');
    await until('the refusal', async () => {
      const { rows } = await db.pool.query(
        `SELECT 1 FROM events WHERE type = 'extension.handler.failed' AND (data->>'eventSeq')::bigint = $1
           AND data->>'extension' = 'sneaky' AND data->'error'->>'code' = 'forbidden'`,
        [seq],
      );
      return rows.length === 1;
    });
    const { rows } = await db.pool.query('SELECT title FROM sessions WHERE id = $1', [SESSION]);
    expect(rows[0].title).toBe('fixture');
  });

  it('keeps the previous set when a reload fails, and swaps in the new set when it succeeds', async () => {
    writeExtension({ name: 'delta', body: `ext.on('test.ping', (e, ctx) => note(ctx, e, 'delta'));` });
    fs.writeFileSync(path.join(dir, 'delta', 'index.mjs'), 'export default function register( {');
    const failed = await reload();
    expect(failed.status).toBe('failed');
    expect(failed.error?.invalid?.map((i) => i.name)).toEqual(['delta']);
    const seq = await emit('test.ping');
    await until('old set handlers', async () => (await notes(seq)).length >= 4);
    expect(await notes(seq)).toEqual(['beta', 'alpha.1', 'alpha.2', 'gamma']);
    expect((await inventory()).map((e) => e.name)).not.toContain('delta');

    writeExtension({ name: 'delta', body: `ext.on('test.ping', (e, ctx) => note(ctx, e, 'delta'));` });
    expect((await reload()).status).toBe('succeeded');
    const next = await emit('test.ping');
    await until('new set handlers', async () => (await notes(next)).length >= 5);
    expect(await notes(next)).toEqual(['beta', 'alpha.1', 'alpha.2', 'delta', 'gamma']);
    const { rows } = await db.pool.query(
      `SELECT type FROM events WHERE type LIKE 'extension.reload.%' ORDER BY seq`,
    );
    expect(rows.map((r) => r.type)).toEqual(['extension.reload.failed', 'extension.reload.succeeded']);
  });
});
