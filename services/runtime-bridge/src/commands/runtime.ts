import { callRuntime } from './helpers';
import type { CommandHandler } from './types';

/**
 * Runtime methods forwarded as they are: params in, result out. `unit` methods take no params at
 * all (app-server rejects `{}` for them).
 */
const FORWARDED: Record<string, { unit?: boolean; timeoutMs?: number }> = {
  'model/list': {},
  'config/read': {},
  'config/value/write': {},
  'config/batchWrite': {},
  'configRequirements/read': { unit: true },
  'account/read': {},
  'account/login/cancel': {},
  'account/logout': { unit: true },
  'account/rateLimits/read': { unit: true },
  'skills/list': {},
  'skills/config/write': {},
  'mcpServerStatus/list': {},
  'config/mcpServer/reload': { unit: true },
  'mcpServer/oauth/login': {},
  'app/list': {},
  'experimentalFeature/list': {},
  'collaborationMode/list': {},
  'feedback/upload': {},
};

function forward(method: string, opts: { unit?: boolean; timeoutMs?: number }): CommandHandler {
  return async (ctx) => ({
    result: await callRuntime(ctx, method, opts.unit ? undefined : ctx.row.params, opts.timeoutMs),
  });
}

/** Redacts a secret from the stored command row: it must not outlive the call in the database. */
async function redact(ctx: Parameters<CommandHandler>[0], key: string): Promise<void> {
  await ctx.db.query(
    `UPDATE runtime_commands SET params = jsonb_set(params, $2::text[], '"[redacted]"') WHERE id = $1`,
    [ctx.row.id, [key]],
  );
}

export const RUNTIME_HANDLERS: Record<string, CommandHandler> = {
  ...Object.fromEntries(Object.entries(FORWARDED).map(([m, o]) => [m, forward(m, o)])),

  'account/login/start': async (ctx) => {
    const secret = ['apiKey', 'accessToken', 'secretAccessKey'].find(
      (k) => typeof ctx.row.params[k] === 'string',
    );
    if (secret) await redact(ctx, secret);
    return { result: await callRuntime(ctx, 'account/login/start', ctx.row.params) };
  },

  // The runtime answers when the process exits; its own timeout (or ours) bounds the wait.
  'command/exec': async (ctx) => {
    const t = ctx.row.params.timeoutMs;
    const timeoutMs = typeof t === 'number' ? t + 10_000 : undefined;
    return { result: await callRuntime(ctx, 'command/exec', ctx.row.params, timeoutMs) };
  },
};
