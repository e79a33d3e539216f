import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN = path.resolve(__dirname, '../../bin/cmgr.js');

export interface CmgrResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
  /** stdout as NDJSON. */
  lines<T = Record<string, unknown>>(): T[];
}

export interface CmgrOptions {
  env?: Record<string, string>;
  /** Written to stdin, which is then closed (default: an empty, closed stdin). */
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

/**
 * The CLI as a user runs it: the `cmgr` bin in a child process, with an environment of its own (no
 * CM_* variables leak in from the test run; the profiles file is a fresh temporary one unless given).
 */
export class Cli {
  readonly configFile: string;
  readonly #dir: string;
  readonly #env: Record<string, string>;

  constructor(env: Record<string, string> = {}) {
    this.#dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmgr-e2e-'));
    this.configFile = path.join(this.#dir, 'profiles.json');
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith('CM_')),
    ) as Record<string, string>;
    this.#env = { ...clean, NO_COLOR: '1', CM_CONFIG_FILE: this.configFile, ...env };
  }

  spawn(args: string[], opts: CmgrOptions = {}): ChildProcess {
    return spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: { ...this.#env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  run(args: string[], opts: CmgrOptions = {}): Promise<CmgrResult> {
    const child = this.spawn(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin!.end(opts.input ?? '');
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(
            `cmgr ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
          ),
        );
      }, timeoutMs);
      child.on('close', (code) => {
        clearTimeout(t);
        resolve(result(code ?? -1, stdout, stderr));
      });
    });
  }

  cleanup(): void {
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
}

function result(code: number, stdout: string, stderr: string): CmgrResult {
  return {
    code,
    stdout,
    stderr,
    json<T>() {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
      }
    },
    lines<T>() {
      return stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T);
    },
  };
}

/** An interactive run: read its output while it runs, type into it. */
export class Interactive {
  stdout = '';
  stderr = '';
  readonly done: Promise<CmgrResult>;
  readonly #child: ChildProcess;

  constructor(cli: Cli, args: string[], opts: CmgrOptions = {}) {
    this.#child = cli.spawn(args, opts);
    this.#child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.#child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.done = new Promise((resolve) =>
      this.#child.on('close', (code) => resolve(result(code ?? -1, this.stdout, this.stderr))),
    );
  }

  async waitFor(pred: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  type(line: string): void {
    this.#child.stdin!.write(line + '\n');
  }

  endInput(): void {
    this.#child.stdin!.end();
  }

  signal(sig: NodeJS.Signals): void {
    this.#child.kill(sig);
  }
}
