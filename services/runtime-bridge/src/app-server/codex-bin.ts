import { existsSync } from 'node:fs';
import path from 'node:path';

const TRIPLES: Record<string, string> = {
  'linux-x64': 'x86_64-unknown-linux-musl',
  'linux-arm64': 'aarch64-unknown-linux-musl',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
};

export interface CodexBinary {
  bin: string;
  /** Directory of helper tools (rg) the npm launcher puts on PATH; null when unknown. */
  pathDir: string | null;
}

/**
 * The native binary of the pinned `@openai/codex` dependency. We spawn it directly rather than
 * through its Node launcher so that our child *is* app-server: signals, exit codes and pids are its own.
 */
export function resolveCodexBinary(explicit?: string): CodexBinary {
  if (explicit) return { bin: explicit, pathDir: null };
  const key = `${process.platform}-${process.arch}`;
  const triple = TRIPLES[key];
  if (!triple) throw new Error(`no pinned codex binary for ${key}; set CM_CODEX_BIN`);
  const pkgJson = require.resolve(`@openai/codex-${key}/package.json`);
  const vendor = path.join(path.dirname(pkgJson), 'vendor', triple);
  const bin = path.join(vendor, 'bin', 'codex');
  if (!existsSync(bin)) throw new Error(`codex binary missing at ${bin}; run npm install`);
  const pathDir = path.join(vendor, 'codex-path');
  return { bin, pathDir: existsSync(pathDir) ? pathDir : null };
}
