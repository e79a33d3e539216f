import fs from 'node:fs';
import path from 'node:path';
import { loadDocument, operationsOf, OPENAPI_FILE, type OpenApiDocument } from './api/openapi';
import type { CliDeps } from './context';
import { coerceError } from './errors';
import { Output } from './output/output';
import { colorWanted } from './output/style';
import { createProgram } from './program';

/** Runs one invocation; resolves with the exit code. Everything it touches comes from `deps`. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  try {
    const { program } = createProgram(deps);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    const err = coerceError(e);
    if (!err.silent) {
      // The error may come before any command parsed the flags: look for them ourselves.
      const json = argv.includes('--json');
      const color = argv.includes('--no-color') ? false : undefined;
      new Output({
        json,
        color: colorWanted(deps.stdout, deps.env, color),
        errColor: colorWanted(deps.stderr, deps.env, color),
        stdout: deps.stdout,
        stderr: deps.stderr,
      }).error(err);
    }
    return err.exitCode;
  }
}

/** The process around runCli: real streams, signals, the committed OpenAPI document. */
export function main(): void {
  const handlers: (() => void)[] = [];
  const interrupt = () => {
    const h = handlers[handlers.length - 1];
    if (h) h();
    else process.exit(130);
  };
  process.on('SIGINT', interrupt);
  // `cmgr stream | head` closes the pipe early: that is the end, not an error.
  for (const s of [process.stdout, process.stderr])
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  let doc: OpenApiDocument;
  try {
    doc = loadDocument(OPENAPI_FILE);
  } catch (e) {
    // Without the document there are no route commands; say what is broken instead of a stack trace.
    process.stderr.write(`error: cannot read the API description ${OPENAPI_FILE}: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const version = (
    JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
  ).version;
  const deps: CliDeps = {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    readStdin: () => fs.readFileSync(0, 'utf8'),
    fetch: globalThis.fetch,
    doc,
    operations: operationsOf(doc),
    version,
    onInterrupt(h) {
      handlers.push(h);
      return () => {
        const i = handlers.lastIndexOf(h);
        if (i >= 0) handlers.splice(i, 1);
      };
    },
    interrupt,
  };
  void runCli(process.argv.slice(2), deps).then((code) => {
    process.exitCode = code;
    // Exit as soon as nothing is pending. Not at once: tsx writes its compile cache asynchronously
    // (an immediate exit loses it and every run recompiles, measured ~3x the CPU of a cached start),
    // and stdout may still be draining into a pipe. An idle socket or a paused stdin must not hold
    // the process open, hence the unref'd deadline.
    setTimeout(() => process.exit(code), 1000).unref();
  });
}

if (require.main === module) main();
