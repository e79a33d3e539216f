import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './db';

const ROOT = path.resolve(__dirname, '../..');

export interface Stack {
  url: string;
  db: TestDatabase;
  dataDir: string;
  output: () => string;
  api<T = unknown>(
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/**
 * The whole stack as a user runs it: `npm start -- --demo` (the launcher, four services, the real
 * codex app-server and the scripted model) on a database of this test file's own.
 */
export async function startStack(label: string, extraArgs: string[] = []): Promise<Stack> {
  const db = await createTestDatabase(label);
  const dataDir = path.join(ROOT, '.data', 'test', `${label}-${randomBytes(3).toString('hex')}`);
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
      '--database-url',
      db.url,
      ...extraArgs,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, CM_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    // Booting four tsx services and app-server takes 40-60 s when the 2-core host is busy.
    const t = setTimeout(() => reject(new Error(`stack not ready after 120 s:\n${out}`)), 120_000);
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
    void exited.then(() => reject(new Error(`launcher exited:\n${out}`)));
  });

  const api: Stack['api'] = async (method, route, body, headers = {}) => {
    const res = await fetch(url + route, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as never };
  };

  return {
    url,
    db,
    dataDir,
    output: () => out,
    api,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const killed = await Promise.race([
          exited.then(() => true),
          new Promise((r) => (timer = setTimeout(() => r(false), 20_000))),
        ]);
        clearTimeout(timer);
        if (!killed) process.kill(-child.pid!, 'SIGKILL');
      }
      await db.drop();
    },
  };
}
