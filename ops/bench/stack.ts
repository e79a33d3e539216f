import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { EventEnvelope } from '@codex-manager/core';
import { TurnTracker, benchEnv, type TurnDriver, type TurnTiming } from './turn-driver';
import { until } from './stats';

const ROOT = path.resolve(__dirname, '../..');

/** A socket.io stream client subscribed to everything, handing each batch to `onBatch`. */
export async function streamClient(
  url: string,
  onBatch: (events: EventEnvelope[], at: number) => void,
): Promise<Socket> {
  const socket = io(url, {
    path: '/api/socket.io',
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  socket.on('events', (batch: EventEnvelope[]) => onBatch(batch, performance.now()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('ready', () => socket.emit('subscribe', {}, () => resolve()));
  });
  return socket;
}

/**
 * The full stack as a user runs it (`npm start -- --demo`: launcher, four services, the real
 * app-server, the scripted model), driven through REST with the reply read from a socket.io stream.
 */
export class StackDriver implements TurnDriver {
  readonly name = 'stack';
  readonly #tracker = new TurnTracker();
  #socket: Socket | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(dataDir: string, databaseUrl: string, extraArgs: string[] = []): Promise<StackDriver> {
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
        dataDir,
        '--database-url',
        databaseUrl,
        ...extraArgs,
      ],
      { cwd: ROOT, env: { ...benchEnv(dataDir), CM_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await until(
      () => /ready at (http:\/\/\S+)/.test(out) || child.exitCode !== null,
      90_000,
      'the stack to start',
    );
    const url = /ready at (http:\/\/\S+)/.exec(out)?.[1];
    if (!url) throw new Error(`the stack did not start:\n${out}`);
    const driver = new StackDriver(child, url);
    driver.#socket = await streamClient(url, (batch, at) => {
      for (const e of batch) {
        if (e.type === 'runtime.item.agentMessage.delta') {
          driver.#tracker.delta(e.threadId, (e.data.coalesced as number | undefined) ?? 1, at);
        } else if (e.type === 'runtime.turn.completed') driver.#tracker.completed(e.threadId, at);
      }
    });
    return driver;
  }

  async #post<T>(route: string, body: unknown): Promise<T> {
    const res = await fetch(this.url + route, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`POST ${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async newThread(): Promise<string> {
    return (await this.#post<{ session: { id: string } }>('/api/sessions', {})).session.id;
  }

  turn(threadId: string, text: string): Promise<TurnTiming> {
    const done = this.#tracker.start(threadId, performance.now());
    this.#post(`/api/sessions/${threadId}/messages`, { text }).catch((e: Error) =>
      console.error(`stack send failed: ${e.message}`),
    );
    return done;
  }

  async stop(): Promise<void> {
    this.#socket?.close();
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
}
