import type { Writable } from 'node:stream';
import type { CliError, ErrorBody } from '../errors';
import { createStyle, type Style } from './style';
import { renderBody } from './views';

export type OutStream = Writable & { isTTY?: boolean; columns?: number };

/**
 * Everything the CLI prints goes through here. Results go to stdout (one JSON document with --json);
 * notes, progress and errors go to stderr, except that with --json an error is printed to stdout as
 * the API's `{error: {...}}` on one line, so a script reading stdout always gets JSON.
 */
export class Output {
  readonly json: boolean;
  readonly style: Style;
  readonly errStyle: Style;
  readonly stdout: OutStream;
  readonly stderr: OutStream;

  constructor(opts: {
    json: boolean;
    color: boolean;
    errColor: boolean;
    stdout: OutStream;
    stderr: OutStream;
  }) {
    this.json = opts.json;
    this.style = createStyle(opts.color && !opts.json);
    this.errStyle = createStyle(opts.errColor);
    this.stdout = opts.stdout;
    this.stderr = opts.stderr;
  }

  get width(): number {
    return Math.max(60, this.stdout.columns ?? 120);
  }

  /** A command's result: JSON with --json, else the human view. */
  result(body: unknown, operationId?: string): void {
    if (this.json) {
      this.stdout.write(JSON.stringify(body ?? null, null, 2) + '\n');
      return;
    }
    const text = renderBody(body, { style: this.style, width: this.width }, operationId);
    if (text) this.stdout.write(text + '\n');
  }

  /** A line of the result (streams, chat): raw text to stdout. */
  write(text: string): void {
    this.stdout.write(text);
  }

  note(message: string): void {
    this.stderr.write(message + '\n');
  }

  warn(message: string): void {
    this.stderr.write(`${this.errStyle.yellow('warning:')} ${message}\n`);
  }

  /** The one place errors are printed. */
  error(err: CliError): void {
    if (this.json) {
      // One line, so it is also the valid last line of an NDJSON stream (stream, chat).
      const doc: ErrorBody | unknown = isObject(err.body) ? err.body : err.toJSON();
      this.stdout.write(JSON.stringify(doc) + '\n');
      return;
    }
    const s = this.errStyle;
    if (isObject(err.body)) {
      const text = renderBody(err.body, { style: s, width: this.width });
      if (text) this.stderr.write(text + '\n');
    }
    const where = err.status
      ? ` (${err.code}, HTTP ${err.status})`
      : err.code === 'usage'
        ? ''
        : ` (${err.code})`;
    this.stderr.write(`${s.red('error:')} ${err.message}${s.dim(where)}\n`);
    const issues = (err.details?.issues ?? []) as { path?: string; message?: string }[];
    for (const i of Array.isArray(issues) ? issues : [])
      this.stderr.write(`  ${s.dim('-')} ${i.path ? `${i.path}: ` : ''}${i.message ?? ''}\n`);
    if (err.suggestion) this.stderr.write(`${s.dim('hint:')} ${err.suggestion}\n`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
