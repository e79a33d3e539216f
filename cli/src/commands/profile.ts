import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import {
  DEFAULT_BASE_URL,
  maskToken,
  normalizeBaseUrl,
  readProfiles,
  writeProfiles,
} from '../config/profiles';
import { Context, type CliDeps } from '../context';
import { CliError, ExitCode, usageError } from '../errors';
import { parseOptions } from './options';

/**
 * `cmgr profile set|list|use|show|remove`: named connections (base URL, token) in the profiles file
 * shared with the Python SDK. Tokens are never printed, only masked.
 */
const profileName = z
  .string()
  .regex(/^[A-Za-z0-9][\w.-]{0,63}$/, 'profile names are letters, digits, `.`, `_` and `-` (max 64)');

function unknownProfile(name: string, known: string[], file: string): CliError {
  return new CliError('unknown_profile', `no profile '${name}' in ${file}`, {
    exitCode: ExitCode.usage,
    suggestion: known.length
      ? `known profiles: ${known.join(', ')}`
      : 'add one with `cmgr profile set <name> --url <url>`',
  });
}

export function profileCommand(deps: CliDeps): Command {
  const cmd = new Command('profile').description(
    'Named connections (base URL, token) shared with the Python SDK',
  );

  cmd
    .command('set')
    .description('Create or update a profile (the global --url and --token give its values)')
    .argument('<name>', 'profile name')
    .option('--token-file <file>', 'read the token from a file (keeps it out of shell history)')
    .option('--clear-token', 'remove the stored token')
    .option('--default', 'make it the default profile')
    .addHelpText(
      'after',
      '\nExamples:\n  cmgr profile set local --url http://127.0.0.1:8787\n  cmgr profile set prod --url https://cm.example:8787 --token-file ~/.cm-token --default',
    )
    .action((name: string, _opts: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const o = parseOptions(
        z.object({
          tokenFile: z.string().optional(),
          clearToken: z.boolean().optional(),
          default: z.boolean().optional(),
        }),
        self.opts(),
      );
      const n = parseOptions(profileName, name, '<name>');
      if (o.clearToken && (ctx.globals.token || o.tokenFile))
        throw usageError('--clear-token cannot be combined with --token or --token-file');
      const loaded = readProfiles(ctx.profilesFile);
      const data = loaded.data;
      const prev = data.profiles[n];
      let token = prev?.token ?? null;
      if (ctx.globals.token) token = ctx.globals.token;
      if (o.tokenFile) token = readTokenFile(path.resolve(deps.cwd, o.tokenFile));
      if (o.clearToken) token = null;
      const baseUrl = ctx.globals.url
        ? normalizeBaseUrl(ctx.globals.url, '--url')
        : (prev?.baseUrl ?? DEFAULT_BASE_URL);
      data.profiles[n] = { ...prev, baseUrl, token };
      if (o.default || !data.defaultProfile || !data.profiles[data.defaultProfile]) data.defaultProfile = n;
      writeProfiles(ctx.profilesFile, data);
      if (ctx.out.json)
        ctx.out.result({
          profile: { name: n, baseUrl, hasToken: token !== null, default: data.defaultProfile === n },
        });
      else
        ctx.out.note(
          `${prev ? 'updated' : 'created'} profile ${n}: ${baseUrl}, token ${maskToken(token)}${data.defaultProfile === n ? ' (default)' : ''} in ${ctx.profilesFile}`,
        );
    });

  cmd
    .command('list')
    .alias('ls')
    .description('List the profiles (tokens masked)')
    .action((_opts: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const { data } = readProfiles(ctx.profilesFile);
      const rows = Object.entries(data.profiles).map(([name, p]) => ({
        name,
        default: data.defaultProfile === name,
        baseUrl: p.baseUrl,
        token: maskToken(p.token),
        hasToken: Boolean(p.token),
      }));
      if (ctx.out.json)
        ctx.out.result({
          file: ctx.profilesFile,
          defaultProfile: data.defaultProfile ?? null,
          profiles: rows.map(({ token: _t, ...r }) => r),
        });
      else if (rows.length === 0)
        ctx.out.note(
          `no profiles in ${ctx.profilesFile}; add one with \`cmgr profile set <name> --url <url>\``,
        );
      else ctx.out.result(rows.map(({ hasToken: _h, ...r }) => ({ ...r, default: r.default ? '*' : '' })));
    });

  cmd
    .command('use')
    .description('Make a profile the default')
    .argument('<name>', 'profile name')
    .action((name: string, _opts: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const { data } = readProfiles(ctx.profilesFile);
      if (!data.profiles[name]) throw unknownProfile(name, Object.keys(data.profiles), ctx.profilesFile);
      data.defaultProfile = name;
      writeProfiles(ctx.profilesFile, data);
      if (ctx.out.json) ctx.out.result({ defaultProfile: name });
      else ctx.out.note(`default profile: ${name} (${data.profiles[name]!.baseUrl})`);
    });

  cmd
    .command('remove')
    .alias('rm')
    .description('Delete a profile')
    .argument('<name>', 'profile name')
    .action((name: string, _opts: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const { data } = readProfiles(ctx.profilesFile);
      if (!data.profiles[name]) throw unknownProfile(name, Object.keys(data.profiles), ctx.profilesFile);
      delete data.profiles[name];
      if (data.defaultProfile === name) data.defaultProfile = null;
      writeProfiles(ctx.profilesFile, data);
      if (ctx.out.json) ctx.out.result({ removed: name, defaultProfile: data.defaultProfile ?? null });
      else ctx.out.note(`removed profile ${name}`);
    });

  cmd
    .command('show')
    .description('The connection this invocation would use, and where each value comes from')
    .action((_opts: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const c = ctx.connection();
      ctx.out.result({
        connection: {
          profile: c.profile,
          profileSource: c.sources.profile,
          baseUrl: c.baseUrl,
          baseUrlSource: c.sources.baseUrl,
          token: maskToken(c.token),
          tokenSource: c.sources.token,
          actor: c.actor,
          file: c.profiles.file,
        },
      });
    });
  return cmd;
}

function readTokenFile(file: string): string {
  let t: string;
  try {
    t = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw usageError(`--token-file: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (!t) throw usageError(`--token-file: ${file} is empty`);
  return t;
}
