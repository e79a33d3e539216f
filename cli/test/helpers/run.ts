import { PassThrough, Writable } from 'node:stream';
import { loadDocument, operationsOf, type OpenApiDocument } from '../../src/api/openapi';
import type { CliDeps } from '../../src/context';
import { runCli } from '../../src/main';

/** Collects what the CLI writes. */
export class Capture extends Writable {
  text = '';
  isTTY = false;
  columns = 120;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export interface InProcess {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in this process with its own environment, streams and (by default) the committed
 * OpenAPI document: for tests of parsing, files and output that need no server.
 */
export async function runInProcess(
  argv: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    stdin?: string;
    doc?: OpenApiDocument;
    fetch?: typeof fetch;
  } = {},
): Promise<InProcess> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.end(opts.stdin ?? '');
  const doc = opts.doc ?? loadDocument();
  const deps: CliDeps = {
    env: opts.env ?? { CM_CONFIG_FILE: '/nonexistent/profiles.json' },
    cwd: opts.cwd ?? process.cwd(),
    stdout,
    stderr,
    stdin,
    readStdin: () => opts.stdin ?? '',
    fetch: opts.fetch ?? (() => Promise.reject(new Error('no network in this test'))),
    doc,
    operations: operationsOf(doc),
    version: '0.0.0-test',
    onInterrupt: () => () => undefined,
    interrupt: () => undefined,
  };
  const code = await runCli(argv, deps);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
