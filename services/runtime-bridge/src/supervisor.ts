import { EventEmitter } from 'node:events';
import type { Logger } from '@codex-manager/core';
import { AppServerClient, type ExitInfo } from './app-server/client';
import type { CodexBinary } from './app-server/codex-bin';
import type { InitializeResult } from './app-server/protocol';

export type RuntimeState = 'starting' | 'ready' | 'restarting' | 'stopped';

export interface RuntimeStatus {
  state: RuntimeState;
  pid: number | null;
  /** app-server's `userAgent` from initialize, e.g. `codex_manager/0.169.0 (...)`. */
  userAgent: string | null;
  version: string | null;
  restarts: number;
  lastExit: ExitInfo | null;
}

export interface SupervisorEvents {
  /** A new app-server is initialized; `client` is the one to use from now on. */
  ready: [client: AppServerClient, init: InitializeResult];
  /** The running app-server died; everything it had in flight is gone. */
  crashed: [exit: ExitInfo];
  status: [status: RuntimeStatus];
}

export interface SupervisorOptions {
  codex: CodexBinary;
  codexHome: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  log: Logger;
  /** Backoff after consecutive failures: base * 2^n, capped. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/**
 * Owns the `codex app-server` child: starts it, restarts it with exponential backoff when it dies
 * (invariant 8), and reports its state. A start that stays up for 30 s resets the backoff.
 */
export class RuntimeSupervisor extends EventEmitter<SupervisorEvents> {
  #client: AppServerClient | null = null;
  #stopped = true;
  #failures = 0;
  #restartTimer: NodeJS.Timeout | null = null;
  #status: RuntimeStatus = {
    state: 'stopped',
    pid: null,
    userAgent: null,
    version: null,
    restarts: 0,
    lastExit: null,
  };

  constructor(private readonly opts: SupervisorOptions) {
    super();
  }

  get client(): AppServerClient | null {
    return this.#client?.running ? this.#client : null;
  }

  get status(): RuntimeStatus {
    return { ...this.#status };
  }

  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    await this.#spawn();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const c = this.#client;
    this.#client = null;
    if (c) {
      c.removeAllListeners('exit');
      await c.stop();
    }
    this.#setStatus({ state: 'stopped', pid: null });
  }

  async #spawn(): Promise<void> {
    this.#setStatus({
      state: this.#status.restarts > 0 || this.#failures > 0 ? 'restarting' : 'starting',
      pid: null,
    });
    const client = new AppServerClient({
      bin: this.opts.codex.bin,
      pathDir: this.opts.codex.pathDir,
      codexHome: this.opts.codexHome,
      cwd: this.opts.cwd,
      env: this.opts.env,
      log: this.opts.log,
    });
    const startedAt = Date.now();
    client.on('exit', (exit) => this.#onExit(client, exit, startedAt));
    try {
      const init = await client.start();
      if (this.#stopped) {
        await client.stop();
        return;
      }
      this.#client = client;
      const version = /\/(\d+\.\d+\.\d+[^\s]*)/.exec(init.userAgent)?.[1] ?? null;
      this.#setStatus({ state: 'ready', pid: client.pid ?? null, userAgent: init.userAgent, version });
      this.opts.log.info({ pid: client.pid, userAgent: init.userAgent }, 'app-server ready');
      this.emit('ready', client, init);
    } catch (e) {
      this.opts.log.error(
        { err: (e as Error).message, stderr: client.stderrTail.slice(-2000) },
        'app-server failed to start',
      );
      client.removeAllListeners('exit');
      await client.stop(500);
      this.#scheduleRestart();
    }
  }

  #onExit(client: AppServerClient, exit: ExitInfo, startedAt: number): void {
    if (this.#client !== client) return; // never became ready, or replaced: handled by #spawn
    this.#client = null;
    if (this.#stopped) return;
    if (Date.now() - startedAt > 30_000) this.#failures = 0;
    this.opts.log.error(
      { code: exit.code, signal: exit.signal, stderr: exit.stderrTail.slice(-2000) },
      'app-server exited',
    );
    this.#setStatus({ lastExit: exit, pid: null });
    this.emit('crashed', exit);
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    if (this.#stopped) return;
    const base = this.opts.backoffBaseMs ?? 200;
    const delay = Math.min(base * 2 ** this.#failures, this.opts.backoffMaxMs ?? 10_000);
    this.#failures++;
    this.#setStatus({ state: 'restarting', restarts: this.#status.restarts + 1 });
    this.opts.log.warn({ delayMs: delay }, 'restarting app-server');
    this.#restartTimer = setTimeout(() => void this.#spawn(), delay);
  }

  #setStatus(patch: Partial<RuntimeStatus>): void {
    this.#status = { ...this.#status, ...patch };
    this.emit('status', this.status);
  }
}
