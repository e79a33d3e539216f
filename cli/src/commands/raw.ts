import { Command } from 'commander';
import { z } from 'zod';
import { readJsonSource, type ApiRequest } from '../api/mapping';
import { readFrames } from '../api/sse';
import { Context, type CliDeps } from '../context';
import { apiError, usageError } from '../errors';
import { parseOptions } from './options';

/**
 * `cmgr raw METHOD PATH [body]`: any route, including ones newer than this CLI's OpenAPI document.
 * Prints the response body as is (pretty JSON); exit codes follow the status like every command.
 */
const args = z.object({
  method: z
    .string()
    .transform((m) => m.toLowerCase())
    .pipe(
      z.enum(['get', 'post', 'put', 'patch', 'delete'], 'METHOD is one of GET, POST, PUT, PATCH, DELETE'),
    ),
  path: z.string().min(1),
});

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function rawCommand(deps: CliDeps): Command {
  return new Command('raw')
    .description('Call any route: METHOD PATH [body] (body: JSON, @file or - for stdin)')
    .argument('<method>', 'GET, POST, PUT, PATCH or DELETE')
    .argument('<path>', 'e.g. /api/sessions?limit=5 (the /api prefix may be left out)')
    .argument('[body]', 'JSON body, @file, or - for stdin')
    .option('-H, --header <header>', "extra header 'Name: value' (repeatable)", collect)
    .addHelpText(
      'after',
      '\nExamples:\n  cmgr raw GET /api/health\n  cmgr raw POST /sessions \'{"title":"scratch"}\'\n  echo \'{"text":"hi"}\' | cmgr raw POST /sessions/$S/messages -',
    )
    .action(async (method: string, p: string, body: string | undefined, _o: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const a = parseOptions(args, { method, path: p }, '<method>');
      const url = new URL(a.path.startsWith('/') ? a.path : `/${a.path}`, 'http://x');
      const pathname =
        url.pathname.startsWith('/api/') || url.pathname === '/api' ? url.pathname : `/api${url.pathname}`;
      const headers: Record<string, string> = {};
      for (const h of (self.opts().header as string[] | undefined) ?? []) {
        const i = h.indexOf(':');
        if (i <= 0) throw usageError(`--header '${h}' is not 'Name: value'`);
        headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
      }
      const req: ApiRequest = {
        method: a.method,
        path: pathname,
        query: [...url.searchParams.entries()],
        body: body === undefined ? undefined : readJsonSource(body, '[body]', ctx.sources),
        headers,
      };
      if (req.method === 'get' && pathname === '/api/stream') return rawStream(ctx, req);
      const res = await ctx.client().send(req);
      if (res.status >= 400)
        throw apiError(res.status, res.body, typeof res.body === 'string' ? res.body : '');
      if (ctx.out.json || typeof res.body !== 'string')
        ctx.out.write(JSON.stringify(res.body, null, 2) + '\n');
      else ctx.out.write(res.body.endsWith('\n') ? res.body : res.body + '\n');
    });
}

async function rawStream(ctx: Context, req: ApiRequest): Promise<void> {
  const abort = new AbortController();
  const off = ctx.deps.onInterrupt(() => abort.abort());
  try {
    const res = await ctx.client().openStream(req.path, req.query, req.headers, abort.signal);
    for await (const f of readFrames(res.body as unknown as AsyncIterable<Uint8Array>))
      ctx.out.write(
        `${f.id ? `id: ${f.id}\n` : ''}${f.event ? `event: ${f.event}\n` : ''}data: ${f.data}\n\n`,
      );
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  } finally {
    off();
  }
}
