import { Command } from 'commander';
import { operationsOf, type OpenApiDocument } from '../api/openapi';
import type { Connection } from '../config/connection';
import { Context, type CliDeps } from '../context';
import { healthChecks, type Check, type HealthBody } from '../doctor/health-checks';
import { CliError, coerceError, ExitCode } from '../errors';
import { renderChecks } from '../output/views';

/**
 * `cmgr doctor`: is everything in place to run a turn from here? Checks the profile and token set-up,
 * reaches the server, reads `/api/health` (database, services, runtime, auth) and compares the server's
 * routes with the ones this CLI knows. Each problem comes with what to do about it. Exit code: that of
 * the first failing check's class (2 config, 5 auth, 6 unavailable), 0 when nothing fails.
 */
interface Finding extends Check {
  exitCode?: number;
}

export function doctorCommand(deps: CliDeps): Command {
  return new Command('doctor')
    .description('Check configuration, connectivity, auth, database, services and runtime readiness')
    .action(async (_o: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const findings = await diagnose(ctx);
      if (ctx.out.json) {
        ctx.out.result({
          ok: !findings.some((f) => f.status === 'fail'),
          checks: findings.map(({ exitCode: _e, ...f }) => f),
        });
      } else ctx.out.write(renderChecks(findings, ctx.out.style) + '\n');
      const failed = findings.find((f) => f.status === 'fail');
      if (failed)
        throw new CliError('doctor_failed', `${failed.name}: ${failed.message}`, {
          exitCode: (failed.exitCode ?? ExitCode.unavailable) as ExitCode,
          silent: true,
        });
    });
}

async function diagnose(ctx: Context): Promise<Finding[]> {
  const out: Finding[] = [];
  let conn: Connection;
  try {
    conn = ctx.connection();
  } catch (e) {
    const err = coerceError(e);
    return [
      {
        name: 'config',
        status: 'fail',
        message: err.message,
        hint: err.suggestion ?? '',
        exitCode: err.exitCode,
      },
    ];
  }
  out.push(...configChecks(conn));

  const client = ctx.client();
  let health: { status: number; body: unknown };
  try {
    health = await client.send({
      method: 'get',
      path: '/api/health',
      query: [],
      body: undefined,
      headers: {},
    });
  } catch (e) {
    const err = coerceError(e);
    out.push({
      name: 'server',
      status: 'fail',
      message: `${err.message} (URL from ${conn.sources.baseUrl})`,
      hint: err.suggestion ?? '',
      exitCode: ExitCode.unavailable,
    });
    return out;
  }
  out.push({ name: 'server', status: 'ok', message: `reachable at ${conn.baseUrl}` });
  if (health.status === 401 || health.status === 403) {
    out.push({
      name: 'token',
      status: 'fail',
      message: conn.token
        ? `the server rejected the token (from ${conn.sources.token})`
        : 'the server requires a token',
      hint: conn.token
        ? 'check the token: it is CM_API_TOKEN of the server (or the content of its CM_API_TOKEN_FILE)'
        : 'store it with `cmgr profile set <name> --token-file <file>`, or set CM_TOKEN',
      exitCode: ExitCode.auth,
    });
    return out;
  }
  out.push({
    name: 'token',
    status: 'ok',
    message: conn.token ? `accepted (from ${conn.sources.token})` : 'none needed',
  });
  const body = health.body as HealthBody | null;
  if (!body || typeof body !== 'object' || !('status' in body)) {
    out.push({
      name: 'health',
      status: 'fail',
      message: `unexpected answer from /api/health (HTTP ${health.status})`,
      hint: 'is this URL a Codex Manager gateway?',
      exitCode: ExitCode.unavailable,
    });
    return out;
  }
  out.push(...healthChecks(body).map((c) => ({ ...c, exitCode: ExitCode.unavailable })));
  out.push(await routeCheck(ctx));
  return out;
}

function configChecks(conn: Connection): Finding[] {
  const p = conn.profiles;
  const out: Finding[] = [];
  const where = conn.profile ? `profile ${conn.profile}` : 'no profile';
  out.push({
    name: 'config',
    status: 'ok',
    message: `${p.exists ? p.file : `${p.file} (not created yet)`}; ${where}; URL from ${conn.sources.baseUrl}`,
  });
  const anyToken = Object.values(p.data.profiles).some((x) => x.token);
  if (p.exists && p.mode !== null && (p.mode & 0o077) !== 0 && anyToken) {
    out.push({
      name: 'config mode',
      status: 'warn',
      message: `${p.file} holds tokens and is readable by others (mode ${p.mode.toString(8)})`,
      hint: `chmod 600 ${p.file}`,
    });
  }
  return out;
}

async function routeCheck(ctx: Context): Promise<Finding> {
  try {
    const res = await ctx.client().call({
      method: 'get',
      path: '/api/openapi.json',
      query: [],
      body: undefined,
      headers: {},
    });
    const server = new Set(operationsOf(res.body as OpenApiDocument).map((o) => o.id));
    const mine = new Set(ctx.deps.operations.map((o) => o.id));
    const newer = [...server].filter((id) => !mine.has(id));
    const older = [...mine].filter((id) => !server.has(id));
    if (!newer.length && !older.length)
      return { name: 'api', status: 'ok', message: `${server.size} routes, all known to this CLI` };
    const parts = [];
    if (newer.length)
      parts.push(`the server has ${newer.length} route(s) this CLI lacks (${newer.slice(0, 4).join(', ')})`);
    if (older.length)
      parts.push(
        `this CLI knows ${older.length} route(s) the server lacks (${older.slice(0, 4).join(', ')})`,
      );
    return {
      name: 'api',
      status: 'warn',
      message: parts.join('; '),
      hint: newer.length
        ? 'update the CLI (same version as the server); `cmgr raw` reaches any route meanwhile'
        : 'the server is older than this CLI: upgrade it, or expect 404 from the newer commands',
    };
  } catch (e) {
    return {
      name: 'api',
      status: 'warn',
      message: `could not read /api/openapi.json: ${coerceError(e).message}`,
    };
  }
}
