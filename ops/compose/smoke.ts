import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../launcher/postgres';
import { SseClient } from '../../test/helpers/sse';

/**
 * `npm run test:compose`: the compose stack for real. Starts a Docker engine with the shared
 * container tool when none answers (building local stand-ins for the base images), brings the stack
 * up in demo mode, checks health, runs one turn through the gateway and its stream, scales the
 * queue-worker to 2, and brings everything down (volumes included).
 */
const ROOT = path.resolve(__dirname, '../..');
const PROJECT = 'cmsmoke';
const FILES = ['-f', 'docker-compose.yml', '-f', 'docker-compose.demo.yml'];
// Debian's docker CLI and compose v1 come first: see the container tool's header.
const env = { ...process.env, PATH: `/usr/bin:/usr/sbin:${process.env.PATH ?? ''}` };

const step = (msg: string) => console.log(`[compose-smoke ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function compose(
  args: string[],
  opts: { capture?: boolean; extraEnv?: Record<string, string> } = {},
): string {
  const r = spawnSync('docker-compose', ['-p', PROJECT, ...FILES, ...args], {
    cwd: ROOT,
    env: { ...env, ...opts.extraEnv },
    encoding: 'utf8',
    stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`docker-compose ${args.join(' ')} failed (${r.status}): ${r.stderr ?? ''}`);
  return r.stdout ?? '';
}

function ensureEngine(): void {
  const answers = spawnSync('docker', ['info'], { env, stdio: 'ignore' }).status === 0;
  const haveImages =
    answers &&
    spawnSync('docker', ['image', 'inspect', 'node:20', 'debian:bookworm'], { env, stdio: 'ignore' })
      .status === 0;
  if (answers && haveImages) return;
  const tool = path.resolve(ROOT, '../shared/tools/container-engine.sh');
  if (!fs.existsSync(tool)) throw new Error(`no Docker engine answers and ${tool} is missing`);
  step('starting a Docker engine and building base images (first run takes minutes)');
  execFileSync('bash', [tool, 'up'], { stdio: 'inherit', env });
  execFileSync('bash', [tool, 'images'], { stdio: 'inherit', env });
}

async function until<T>(
  what: string,
  timeoutMs: number,
  fn: () => Promise<T | null | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  ensureEngine();
  const port = await freePort();
  const extraEnv = { CM_PORT: String(port) };
  const url = `http://127.0.0.1:${port}`;
  let ok = false;
  try {
    step('building images and starting the stack');
    compose(['up', '-d', '--build'], { extraEnv });
    const token = await until('the API token', 60_000, async () =>
      compose(['exec', '-T', 'gateway', 'cat', '/secrets/api-token'], { capture: true, extraEnv }).trim(),
    );
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const api = async <T>(
      method: string,
      route: string,
      body?: unknown,
    ): Promise<{ status: number; body: T }> => {
      const res = await fetch(url + route, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    const unauth = await fetch(`${url}/api/health`);
    if (unauth.status !== 401)
      throw new Error(`health without the token answered ${unauth.status}, expected 401`);

    const health = await until('health ready', 180_000, async () => {
      const h = await api<{ status: string; runtime: { version: string } }>('GET', '/api/health');
      return h.status === 200 && h.body;
    });
    step(`healthy after ${((Date.now() - t0) / 1000).toFixed(1)} s (runtime ${health.runtime.version})`);

    const session = await api<{ session: { id: string } }>('POST', '/api/sessions', {});
    if (session.status !== 201) throw new Error(`session create answered ${session.status}`);
    const id = session.body.session.id;
    const stream = new SseClient(`${url}/api/stream?threads=${id}&after=0`, {
      authorization: headers.authorization,
    });
    const sent = await api<{ turn: { id: string } }>('POST', `/api/sessions/${id}/messages`, {
      text: 'scn:text',
    });
    if (sent.status !== 202) throw new Error(`message answered ${sent.status}`);
    await stream.waitFor(
      (c) => c.events.some((e) => e.type === 'runtime.turn.completed'),
      60_000,
      'turn/completed',
    );
    await stream.close();
    const text = stream.events
      .filter((e) => e.type === 'runtime.item.agentMessage.delta')
      .map((e) => (e.data.params as { delta: string }).delta)
      .join('');
    if (text !== 'Hello from the scripted model.')
      throw new Error(`unexpected reply ${JSON.stringify(text)}`);
    step(`one turn streamed: ${JSON.stringify(text)}`);

    step('scaling queue-worker to 2');
    compose(['up', '-d', '--no-build', '--scale', 'queue-worker=2'], { extraEnv });
    await until('two queue-workers up', 120_000, async () => {
      const h = await api<{ services: Record<string, { instances: { up: boolean }[] }> }>(
        'GET',
        '/api/health',
      );
      return h.body.services['queue-worker']!.instances.filter((i) => i.up).length === 2;
    });
    step('two queue-workers report healthy');
    ok = true;
  } finally {
    if (!ok) compose(['logs', '--no-color', '--tail', '80'], { extraEnv });
    step('bringing the stack down');
    compose(['down', '-v', '-t', '2'], { extraEnv });
  }
  step(`passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((e: unknown) => {
  console.error(`compose smoke test FAILED: ${(e as Error).message}`);
  process.exit(1);
});
