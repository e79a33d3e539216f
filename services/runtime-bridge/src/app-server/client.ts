import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import readline from 'node:readline';
import type { Logger } from '@codex-manager/core';
import { classify, type InitializeResult, type RequestId, type RpcError } from './protocol';

export class RpcCallError extends Error {
  constructor(
    readonly method: string,
    readonly rpc: RpcError,
  ) {
    super(`${method}: ${rpc.message}`);
    this.name = 'RpcCallError';
  }
}

export class TransportClosedError extends Error {
  constructor(
    message: string,
    readonly exit: ExitInfo,
  ) {
    super(message);
    this.name = 'TransportClosedError';
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
}

export interface AppServerClientOptions {
  bin: string;
  codexHome: string;
  /** Extra PATH entry (helper tools shipped with the binary). */
  pathDir?: string | null;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  args?: string[];
  clientVersion?: string;
  log?: Logger;
  requestTimeoutMs?: number;
}

export interface AppServerClientEvents {
  notification: [method: string, params: Record<string, unknown>];
  request: [id: RequestId, method: string, params: Record<string, unknown>];
  exit: [info: ExitInfo];
}

const STDERR_TAIL_BYTES = 8192;

/**
 * One `codex app-server` child over stdio. Exactly one reader owns stdout and routes responses by id
 * to their waiters, notifications and server requests to listeners (in arrival order). When the
 * child dies every pending call fails with the exit code, signal and the tail of stderr.
 */
export class AppServerClient extends EventEmitter<AppServerClientEvents> {
  #child: ChildProcessWithoutNullStreams | null = null;
  #nextId = 1;
  #pending = new Map<
    RequestId,
    {
      method: string;
      resolve: (v: unknown) => void;
      reject: (e: Error) => void;
      timer: NodeJS.Timeout | undefined;
    }
  >();
  #stderr = '';
  #exit: ExitInfo | null = null;
  #exited: Promise<ExitInfo> | null = null;
  initializeResult: InitializeResult | null = null;

  constructor(private readonly opts: AppServerClientOptions) {
    super();
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== null && this.#exit === null;
  }

  /** Spawns app-server and performs the handshake (`initialize` with experimentalApi, `initialized`). */
  async start(): Promise<InitializeResult> {
    const env: NodeJS.ProcessEnv = { ...(this.opts.env ?? process.env), CODEX_HOME: this.opts.codexHome };
    if (this.opts.pathDir)
      env.PATH = `${this.opts.pathDir}${process.platform === 'win32' ? ';' : ':'}${env.PATH ?? ''}`;
    env.RUST_LOG ??= 'warn';
    const child = spawn(this.opts.bin, ['app-server', ...(this.opts.args ?? [])], {
      cwd: this.opts.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child = child;
    // 'close' (not 'exit'): it fires after stdout is fully read, so a response still in the pipe
    // reaches its waiter before the remaining calls are failed.
    this.#exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.#exit) return;
        this.#exit = { code, signal, stderrTail: this.#stderr };
        this.#failAll();
        this.emit('exit', this.#exit);
        resolve(this.#exit);
      };
      child.on('close', finish);
      // A binary that cannot be spawned (ENOENT, EACCES) emits 'error' and never 'close'.
      child.on('error', (e) => {
        this.#stderr += `\nspawn error: ${e.message}`;
        if (child.pid === undefined) finish(null, null);
      });
    });
    child.stdin.on('error', () => undefined); // EPIPE after the child died; handled through 'exit'
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-STDERR_TAIL_BYTES);
    });
    const rl = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
    rl.on('line', (line) => this.#onLine(line));

    const result = await this.request<InitializeResult>('initialize', {
      clientInfo: {
        name: 'codex_manager',
        title: 'Codex Manager',
        version: this.opts.clientVersion ?? '0.1.0',
      },
      capabilities: { experimentalApi: true },
    });
    this.notify('initialized', {});
    this.initializeResult = result;
    return result;
  }

  request<T = unknown>(
    method: string,
    params: unknown,
    timeoutMs = this.opts.requestTimeoutMs ?? 60_000,
  ): Promise<T> {
    if (!this.#child || this.#exit) {
      return Promise.reject(
        new TransportClosedError(
          'app-server is not running',
          this.#exit ?? { code: null, signal: null, stderrTail: this.#stderr },
        ),
      );
    }
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.#pending.delete(id);
              reject(
                new RpcCallError(method, { code: -32001, message: `no response within ${timeoutMs} ms` }),
              );
            }, timeoutMs)
          : undefined;
      this.#pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.#write({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.#write({ jsonrpc: '2.0', method, params });
  }

  /** Answers a server→client request. */
  respond(id: RequestId, result: unknown): void {
    this.#write({ jsonrpc: '2.0', id, result });
  }

  respondError(id: RequestId, code: number, message: string): void {
    this.#write({ jsonrpc: '2.0', id, error: { code, message } });
  }

  /** Closes stdin (app-server exits on EOF), then escalates to SIGTERM and SIGKILL. */
  async stop(graceMs = 2000): Promise<ExitInfo | null> {
    const child = this.#child;
    if (!child || !this.#exited) return null;
    if (this.#exit) return this.#exit;
    child.stdin.end();
    const timeout = (ms: number) => new Promise<null>((r) => setTimeout(() => r(null), ms).unref());
    let info = await Promise.race([this.#exited, timeout(graceMs)]);
    if (!info) {
      child.kill('SIGTERM');
      info = await Promise.race([this.#exited, timeout(graceMs)]);
    }
    if (!info) {
      child.kill('SIGKILL');
      info = await this.#exited;
    }
    return info;
  }

  /** Kills the child abruptly (fault tests, crash handling). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.#child?.kill(signal);
  }

  get stderrTail(): string {
    return this.#stderr;
  }

  #write(msg: unknown): void {
    if (!this.#child || this.#exit) return;
    this.#child.stdin.write(JSON.stringify(msg) + '\n');
  }

  #onLine(line: string): void {
    if (line.trim() === '') return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.opts.log?.warn({ line: line.slice(0, 200) }, 'app-server wrote a line that is not JSON');
      return;
    }
    const msg = classify(parsed);
    if (!msg) return;
    if (msg.kind === 'response') {
      const waiter = this.#pending.get(msg.id);
      if (!waiter) return;
      this.#pending.delete(msg.id);
      clearTimeout(waiter.timer);
      if (msg.error) waiter.reject(new RpcCallError(waiter.method, msg.error));
      else waiter.resolve(msg.result);
    } else if (msg.kind === 'request') {
      this.emit('request', msg.id, msg.method, msg.params);
    } else {
      this.emit('notification', msg.method, msg.params);
    }
  }

  #failAll(): void {
    const exit = this.#exit ?? { code: null, signal: null, stderrTail: this.#stderr };
    const why = `app-server exited (code ${exit.code ?? '-'}, signal ${exit.signal ?? '-'})`;
    for (const [id, w] of this.#pending) {
      clearTimeout(w.timer);
      w.reject(new TransportClosedError(`${w.method}: ${why}`, exit));
      this.#pending.delete(id);
    }
  }
}
