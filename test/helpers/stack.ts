import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './db';

const ROOT = path.resolve(__dirname, '../..');

export type Api = <T = unknown>(
  method: string,
  route: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: T }>;

export interface Launched {
  url: string;
  dataDir: string;
  output: () => string;
  api: Api;
  /** A new empty directory under the data directory (a session's workspace). */
  freshDir(name: string): string;
  stop(): Promise<void>;
}

export interface Stack extends Launched {
  db: TestDatabase;
}

export interface LaunchOptions {
  /** Reuse a data directory (restart after stop, restore); default: a fresh one named after the label. */
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Sent as the bearer token by `api()` (and required by the stack when set through CM_API_TOKEN). */
  token?: string;
}

export const newDataDir = (label: string): string =>
  path.join(ROOT, '.data', 'test', `${label}-${randomBytes(3).toString('hex')}`);

/**
 * `npm start -- --demo` as a user runs it (the launcher, four services, the real codex app-server and
 * the scripted model), with the launcher's own embedded PostgreSQL unless `--database-url` is passed.
 */
export async function launch(label: string, opts: LaunchOptions = {}): Promise<Launched> {
  const dataDir = opts.dataDir ?? newDataDir(label);
  fs.mkdirSync(dataDir, { recursive: true });
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'ops/launcher/main.ts',
      '--demo',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      ...(opts.args ?? []),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, CM_LOG_LEVEL: 'info', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`stack not ready after 180 s:\n${out}`)), 180_000);
    const check = () => {
      const m = /ready at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      } else if (/not healthy|failed to start/.test(out)) {
        clearTimeout(t);
        reject(new Error(`stack failed:\n${out}`));
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(t);
      reject(new Error(`launcher exited:\n${out}`));
    });
  });
  // A stack that failed to come up must not outlive the test file (it would hold jest open).
  const url = await started.catch((e: unknown) => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    throw e;
  });

  const api: Api = async (method, route, body, headers = {}) => {
    const res = await fetch(url + route, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as never };
  };

  return {
    url,
    dataDir,
    output: () => out,
    api,
    freshDir: (name) => fs.mkdtempSync(path.join(dataDir, `${name}-`)),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise((r) => (timer = setTimeout(() => r(false), 20_000))),
      ]);
      clearTimeout(timer);
      if (!stopped) process.kill(-child.pid!, 'SIGKILL');
    },
  };
}

/** The stack on a database of this test file's own (from the test run's PostgreSQL server). */
export async function startStack(label: string, opts: LaunchOptions = {}): Promise<Stack> {
  const db = await createTestDatabase(label);
  try {
    const launched = await launch(label, { ...opts, args: ['--database-url', db.url, ...(opts.args ?? [])] });
    return {
      ...launched,
      db,
      async stop() {
        await launched.stop();
        await db.drop();
      },
    };
  } catch (e) {
    await db.drop();
    throw e;
  }
}
