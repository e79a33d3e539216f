import os from 'node:os';
import { CliError, ExitCode } from '../errors';
import { DEFAULT_BASE_URL, normalizeBaseUrl, readProfiles, type LoadedProfiles } from './profiles';

export type Source = 'flag' | 'env' | 'profile' | 'default';

/** Where the CLI talks to and as whom, with where each value came from (shown by `cmgr doctor`). */
export interface Connection {
  baseUrl: string;
  token: string | null;
  actor: string;
  profile: string | null;
  sources: { baseUrl: Source; token: Source | null; profile: Source | null };
  profiles: LoadedProfiles;
}

export interface ConnectionFlags {
  profile?: string | undefined;
  url?: string | undefined;
  token?: string | undefined;
  actor?: string | undefined;
}

/**
 * Precedence, shared with the Python SDK: explicit flag > environment (`CM_URL`, `CM_TOKEN`,
 * `CM_PROFILE`) > the profile (named by flag, env or `defaultProfile`) > http://127.0.0.1:8787.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv, file: string): Connection {
  const profiles = readProfiles(file);
  const named = flags.profile ?? env.CM_PROFILE ?? undefined;
  const profileSource: Source | null = flags.profile ? 'flag' : env.CM_PROFILE ? 'env' : null;
  let profileName: string | null = named ?? profiles.data.defaultProfile ?? null;
  const entry = profileName ? profiles.data.profiles[profileName] : undefined;
  if (named && !entry) {
    const known = Object.keys(profiles.data.profiles);
    throw new CliError('unknown_profile', `no profile '${named}' in ${file}`, {
      exitCode: ExitCode.usage,
      suggestion: known.length
        ? `known profiles: ${known.join(', ')}; add one with \`cmgr profile set ${named} --url <url>\``
        : `add it with \`cmgr profile set ${named} --url <url> [--token <token>]\``,
    });
  }
  if (!entry) profileName = null;

  let baseUrl = DEFAULT_BASE_URL;
  let urlSource: Source = 'default';
  if (flags.url) [baseUrl, urlSource] = [normalizeBaseUrl(flags.url, '--url'), 'flag'];
  else if (env.CM_URL) [baseUrl, urlSource] = [normalizeBaseUrl(env.CM_URL, 'CM_URL'), 'env'];
  else if (entry)
    [baseUrl, urlSource] = [normalizeBaseUrl(entry.baseUrl, `profile '${profileName}' baseUrl`), 'profile'];

  let token: string | null = null;
  let tokenSource: Source | null = null;
  if (flags.token) [token, tokenSource] = [flags.token, 'flag'];
  else if (env.CM_TOKEN) [token, tokenSource] = [env.CM_TOKEN, 'env'];
  else if (entry?.token) [token, tokenSource] = [entry.token, 'profile'];

  return {
    baseUrl,
    token,
    actor: flags.actor || env.CM_ACTOR || safeUsername(),
    profile: profileName,
    sources: {
      baseUrl: urlSource,
      token: tokenSource,
      profile: profileName ? (profileSource ?? 'profile') : null,
    },
    profiles,
  };
}

function safeUsername(): string {
  try {
    return os.userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}
