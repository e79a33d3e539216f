import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '@codex-manager/core';

const run = promisify(execFile);

export interface MethodTable {
  /** Every client→server method the binary accepts with `experimentalApi` on. */
  all: Set<string>;
  /** The subset that is only accepted with `experimentalApi` on. */
  experimental: Set<string>;
}

/**
 * Which JSON-RPC methods the pinned runtime implements. app-server answers an unknown method with
 * the same JSON-RPC code as bad params (-32600), so the live server cannot tell us; the binary's own
 * schema can. `codex app-server generate-json-schema` (with and without `--experimental`) lists
 * every request variant; we read the method enums of `ClientRequest.json`. Measured: ~0.5 s per
 * run, once per bridge process (the binary does not change under a running bridge). The schema is
 * written to a scratch directory inside CODEX_HOME (nothing is written anywhere else) and removed.
 */
export class RuntimeMethods {
  #table: Promise<MethodTable | null> | null = null;
  #loaded: MethodTable | null = null;

  constructor(
    private readonly opts: {
      bin: string;
      codexHome: string;
      log: Logger;
      env?: NodeJS.ProcessEnv;
    },
  ) {}

  /** The method table, or null when the schema could not be produced (then nothing is refused). */
  table(): Promise<MethodTable | null> {
    this.#table ??= this.#load().then(
      (t) => (this.#loaded = t),
      (e: Error) => {
        this.opts.log.warn({ err: e.message }, 'could not read the runtime method table');
        this.#table = null; // try again next time
        return null;
      },
    );
    return this.#table;
  }

  /** The table if it is already known; never waits (commands must not queue behind the schema). */
  peek(): MethodTable | null {
    return this.#loaded;
  }

  async #load(): Promise<MethodTable> {
    const [all, stable] = await Promise.all([this.#methods(true), this.#methods(false)]);
    return { all, experimental: new Set([...all].filter((m) => !stable.has(m))) };
  }

  async #methods(experimental: boolean): Promise<Set<string>> {
    const scratch = await fs.mkdtemp(path.join(this.opts.codexHome, '.cm-schema-'));
    try {
      const args = ['app-server', 'generate-json-schema', '--out', scratch];
      if (experimental) args.push('--experimental');
      await run(this.opts.bin, args, {
        env: { ...(this.opts.env ?? process.env), CODEX_HOME: this.opts.codexHome },
        timeout: 30_000,
      });
      const schema = JSON.parse(await fs.readFile(path.join(scratch, 'ClientRequest.json'), 'utf8')) as {
        oneOf?: { properties?: { method?: { enum?: string[] } } }[];
      };
      return methodsOf(schema);
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  }
}

export function methodsOf(schema: {
  oneOf?: { properties?: { method?: { enum?: string[] } } }[];
}): Set<string> {
  const out = new Set<string>();
  for (const variant of schema.oneOf ?? [])
    for (const m of variant.properties?.method?.enum ?? []) out.add(m);
  if (out.size === 0) throw new Error('ClientRequest.json lists no methods');
  return out;
}
