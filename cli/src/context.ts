import fs from 'node:fs';
import type { Command } from 'commander';
import { ApiClient } from './api/client';
import type { SourceReader } from './api/mapping';
import type { OpenApiDocument, Operation } from './api/openapi';
import { resolveConnection, type Connection } from './config/connection';
import { profilesPath } from './config/profiles';
import { usageError } from './errors';
import { Output, type OutStream } from './output/output';
import { colorWanted } from './output/style';

/** What the CLI gets from its process: injected, so tests run it in-process with their own. */
export interface CliDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: OutStream;
  stderr: OutStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** All of stdin as text (for `-` sources and piped chat messages). */
  readStdin(): string;
  fetch: typeof fetch;
  /** The OpenAPI document commands are built from. */
  doc: OpenApiDocument;
  operations: Operation[];
  version: string;
  /** Registers a Ctrl-C handler (the newest one gets it); returns the unregister function. */
  onInterrupt(handler: () => void): () => void;
  /** Delivers a Ctrl-C that arrived as input (a prompt in raw mode) rather than as a signal. */
  interrupt(): void;
}

/** The global flags every command accepts. */
export interface GlobalOptions {
  json?: boolean;
  profile?: string;
  url?: string;
  token?: string;
  actor?: string;
  timeout?: string;
  color?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Per-invocation state, resolved once from the global flags and the environment: the output, the
 * connection (profile, URL, token) and the API client. Nothing reads `process.env` after this.
 */
export class Context {
  readonly deps: CliDeps;
  readonly globals: GlobalOptions;
  readonly out: Output;
  #connection: Connection | undefined;
  #client: ApiClient | undefined;

  constructor(deps: CliDeps, globals: GlobalOptions) {
    this.deps = deps;
    this.globals = globals;
    this.out = new Output({
      json: globals.json === true,
      color: colorWanted(deps.stdout, deps.env, globals.color),
      errColor: colorWanted(deps.stderr, deps.env, globals.color),
      stdout: deps.stdout,
      stderr: deps.stderr,
    });
  }

  static of(cmd: Command, deps: CliDeps): Context {
    return new Context(deps, cmd.optsWithGlobals<GlobalOptions>());
  }

  get profilesFile(): string {
    return profilesPath(this.deps.env);
  }

  get timeoutMs(): number {
    const raw = this.globals.timeout ?? this.deps.env.CM_TIMEOUT_MS;
    if (raw === undefined) return DEFAULT_TIMEOUT_MS;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw usageError(`--timeout expects milliseconds, got '${raw}'`);
    return n;
  }

  connection(): Connection {
    return (this.#connection ??= resolveConnection(this.globals, this.deps.env, this.profilesFile));
  }

  client(): ApiClient {
    return (this.#client ??= new ApiClient(this.connection(), {
      fetch: this.deps.fetch,
      timeoutMs: this.timeoutMs,
      version: this.deps.version,
    }));
  }

  /** `@file` and `-` for `--body` and JSON flags. */
  get sources(): SourceReader {
    return {
      cwd: this.deps.cwd,
      readFile: (f) => fs.readFileSync(f, 'utf8'),
      readStdin: () => {
        if (this.deps.stdin.isTTY)
          throw usageError("'-' reads stdin, but stdin is a terminal", 'pipe the input in, or use @file');
        return this.deps.readStdin();
      },
    };
  }

  operation(id: string): Operation | undefined {
    return this.deps.operations.find((o) => o.id === id);
  }
}
