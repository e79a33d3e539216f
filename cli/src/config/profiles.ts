import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CliError, ExitCode } from '../errors';

/**
 * The profiles file shared with the Python SDK: `$CM_CONFIG_FILE`, else
 * `$XDG_CONFIG_HOME/codex-manager/profiles.json`, else `~/.config/codex-manager/profiles.json`; mode 600.
 * Keys this CLI does not know (written by a newer client) are kept on rewrite.
 */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787';

const profileSchema = z.looseObject({
  baseUrl: z.string().min(1, 'baseUrl must not be empty'),
  token: z.string().nullable().optional(),
});

const fileSchema = z.looseObject({
  defaultProfile: z.string().nullable().optional(),
  profiles: z.record(z.string(), profileSchema).default({}),
});

export type Profile = z.infer<typeof profileSchema>;
export type ProfilesFile = z.infer<typeof fileSchema>;

export function profilesPath(env: NodeJS.ProcessEnv): string {
  if (env.CM_CONFIG_FILE) return path.resolve(env.CM_CONFIG_FILE);
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'codex-manager', 'profiles.json');
}

export interface LoadedProfiles {
  file: string;
  exists: boolean;
  data: ProfilesFile;
  /** Permission bits of the file, when it exists. */
  mode: number | null;
}

export function readProfiles(file: string): LoadedProfiles {
  let text: string;
  let mode: number | null = null;
  try {
    text = fs.readFileSync(file, 'utf8');
    mode = fs.statSync(file).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { file, exists: false, data: { defaultProfile: null, profiles: {} }, mode };
    throw new CliError('invalid_config', `cannot read ${file}: ${(e as Error).message}`, {
      exitCode: ExitCode.usage,
      cause: e,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError('invalid_config', `${file} is not valid JSON: ${(e as Error).message}`, {
      exitCode: ExitCode.usage,
      suggestion: 'fix or remove the file; `cmgr profile set <name> --url <url>` writes a fresh one',
      cause: e,
    });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw new CliError('invalid_config', `${file} is not a valid profiles file`, {
      exitCode: ExitCode.usage,
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      suggestion:
        'expected {"defaultProfile": "local", "profiles": {"local": {"baseUrl": "...", "token": null}}}',
    });
  }
  return { file, exists: true, data: parsed.data, mode };
}

/** Atomic write (temp file + rename) with mode 600 in a directory of mode 700. */
export function writeProfiles(file: string, data: ProfilesFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** `http://host:8787/api/` → `http://host:8787`; anything but http(s) is a usage error. */
export function normalizeBaseUrl(raw: string, from: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError('invalid_config', `${from}: '${raw}' is not a URL`, {
      exitCode: ExitCode.usage,
      suggestion: `give a base URL like ${DEFAULT_BASE_URL}`,
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new CliError('invalid_config', `${from}: '${raw}' must be an http(s) URL`, {
      exitCode: ExitCode.usage,
    });
  return (u.origin + u.pathname).replace(/\/+$/, '').replace(/\/api$/, '');
}

export const maskToken = (t: string | null | undefined): string =>
  !t ? '-' : t.length <= 8 ? '****' : `${t.slice(0, 4)}…${t.slice(-2)} (${t.length} chars)`;
