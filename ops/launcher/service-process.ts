import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface ServiceProcessOptions {
  name: string;
  entry: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  args?: string[];
  logFile: string;
  /** Receives every stdout/stderr line of the service. */
  onLine: (line: string) => void;
  onRestart?: (info: { code: number | null; signal: NodeJS.Signals | null; delayMs: number }) => void;
}

/**
 * One service as a child process (`node --import tsx <entry>`), restarted with backoff when it exits
 * on its own. Its output is appended to its log file and handed to `onLine`.
 */
export class ServiceProcess {
  #child: ChildProcess | null = null;
  #stopping = false;
  #failures = 0;
  #timer: NodeJS.Timeout | null = null;
  #log: fs.WriteStream;

  constructor(private readonly opts: ServiceProcessOptions) {
    fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
    this.#log = fs.createWriteStream(opts.logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): void {
    this.#stopping = false;
    const child = spawn(process.execPath, ['--import', 'tsx', this.opts.entry, ...(this.opts.args ?? [])], {
      cwd: this.opts.cwd,
      env: this.opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops the
      // services in order (otherwise each service would get the signal twice and exit abruptly).
      detached: true,
    });
    this.#child = child;
    const startedAt = Date.now();
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream!, crlfDelay: Infinity }).on('line', (line) => {
        this.#log.write(line + '\n');
        this.opts.onLine(line);
      });
    }
    child.on('exit', (code, signal) => {
      if (this.#child === child) this.#child = null;
      if (this.#stopping) return;
      if (Date.now() - startedAt > 30_000) this.#failures = 0;
      const delayMs = Math.min(250 * 2 ** this.#failures++, 10_000);
      this.opts.onRestart?.({ code, signal, delayMs });
      this.#timer = setTimeout(() => this.start(), delayMs);
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    }
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }
}
