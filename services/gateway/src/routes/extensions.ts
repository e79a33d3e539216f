import { z } from 'zod';
import { AppError, ErrorCode, EXTENSION_RELOAD_CHANNEL, type Pool } from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';

export interface ExtensionRouteDeps {
  pool: Pool;
  heartbeatStaleMs: number;
  /** How long a reload may take before the route gives up on the extension host. */
  reloadTimeoutMs?: number;
}

const extensionSchema = z.object({
  name: z.string(),
  version: z.string().nullable(),
  origin: z.string().describe('`bundled` or the configured root it was found in'),
  path: z.string(),
  coreApi: z.string().nullable(),
  compatible: z.boolean(),
  state: z.enum(['active', 'incompatible', 'invalid', 'disabled']),
  trust: z.string(),
  priority: z.number(),
  events: z.array(z.string()),
  capabilities: z.array(z.string()),
  handlerStats: z.record(z.string(), z.unknown()),
  lastErrors: z.array(z.record(z.string(), z.unknown())),
  loadError: z.string().nullable(),
  loadedAt: z.string(),
  updatedAt: z.string(),
});

const reloadSchema = z.object({
  id: z.string(),
  status: z.enum(['pending', 'running', 'succeeded', 'failed']),
  requestedBy: z.string(),
  source: z.string(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

interface ExtensionRow {
  name: string;
  version: string | null;
  origin: string;
  path: string;
  core_api: string | null;
  compatible: boolean;
  state: 'active' | 'incompatible' | 'invalid' | 'disabled';
  trust: string;
  priority: number;
  events: string[];
  capabilities: string[];
  handler_stats: Record<string, unknown>;
  last_errors: Record<string, unknown>[];
  load_error: string | null;
  loaded_at: Date;
  updated_at: Date;
}

interface ReloadRow {
  id: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  requested_by: string;
  source: string;
  result: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const toExtension = (r: ExtensionRow) => ({
  name: r.name,
  version: r.version,
  origin: r.origin,
  path: r.path,
  coreApi: r.core_api,
  compatible: r.compatible,
  state: r.state,
  trust: r.trust,
  priority: r.priority,
  events: r.events,
  capabilities: r.capabilities,
  handlerStats: r.handler_stats,
  lastErrors: r.last_errors,
  loadError: r.load_error,
  loadedAt: r.loaded_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const toReload = (r: ReloadRow) => ({
  id: r.id,
  status: r.status,
  requestedBy: r.requested_by,
  source: r.source,
  result: r.result,
  error: r.error,
  createdAt: r.created_at.toISOString(),
  startedAt: r.started_at?.toISOString() ?? null,
  finishedAt: r.finished_at?.toISOString() ?? null,
});

/**
 * Extensions: the host's inventory, a reload (an atomic swap run by the extension host; the request
 * waits for it), and the audit of every reload. The gateway and the host meet in the database: the
 * reload is a row the host claims, woken by NOTIFY cm_extension_reload.
 */
export function extensionRoutes(deps: ExtensionRouteDeps): RouteSpec[] {
  async function hostAlive(): Promise<boolean> {
    const { rows } = await deps.pool.query(
      `SELECT 1 FROM service_heartbeats WHERE service = 'extension-host' AND status = 'running'
         AND beat_at > now() - make_interval(secs => $1::double precision / 1000)`,
      [deps.heartbeatStaleMs],
    );
    return rows.length > 0;
  }

  const reloadById = async (id: string): Promise<ReloadRow> =>
    (await deps.pool.query<ReloadRow>('SELECT * FROM extension_reloads WHERE id = $1', [id])).rows[0]!;

  return [
    route({
      method: 'get',
      path: '/extensions',
      operationId: 'extensions.list',
      summary: 'Inventory: origin, version, compatibility, trust, capabilities, handler stats, last errors',
      responses: {
        200: {
          description: 'Extensions',
          schema: z.object({ extensions: z.array(extensionSchema), host: z.object({ up: z.boolean() }) }),
        },
      },
      async handler() {
        const { rows } = await deps.pool.query<ExtensionRow>(
          'SELECT * FROM extensions ORDER BY priority DESC, name',
        );
        return { body: { extensions: rows.map(toExtension), host: { up: await hostAlive() } } };
      },
    }),
    route({
      method: 'post',
      path: '/extensions/reload',
      operationId: 'extensions.reload',
      summary: 'Reload every extension as one atomic swap (the previous set stays on failure)',
      description:
        '200 with the reload when the new set is active; 422 `extension_reload_failed` (the previous set ' +
        'stays active) with the errors; 409 while another reload runs; 503 when no extension host runs.',
      role: 'admin',
      responses: {
        200: { description: 'Reloaded', schema: z.object({ reload: reloadSchema }) },
        409: { description: 'Another reload is running' },
        422: { description: 'The new set failed to load; the previous one stays active' },
        503: { description: 'No extension host is running' },
      },
      async handler({ req }) {
        if (!(await hostAlive())) {
          throw new AppError(ErrorCode.serviceUnavailable, 'no extension host is running', {
            suggestion: 'check /api/health',
          });
        }
        const origin = originOf(req);
        let id: string;
        try {
          const { rows } = await deps.pool.query<{ id: string }>(
            `WITH r AS (INSERT INTO extension_reloads (requested_by, source) VALUES ($1, $2) RETURNING id)
             SELECT id, pg_notify('${EXTENSION_RELOAD_CHANNEL}', id::text) FROM r`,
            [origin.actor, origin.source],
          );
          id = rows[0]!.id;
        } catch (e) {
          if ((e as { code?: string }).code !== '23505') throw e;
          const { rows } = await deps.pool.query<{ id: string }>(
            `SELECT id FROM extension_reloads WHERE status IN ('pending', 'running')`,
          );
          throw new AppError(ErrorCode.conflict, 'another reload is in progress', {
            details: { reloadId: rows[0]?.id ?? null },
            suggestion: 'wait for it to finish (GET /api/extensions/audit)',
          });
        }
        const deadline = Date.now() + (deps.reloadTimeoutMs ?? 30_000);
        for (;;) {
          const r = await reloadById(id);
          if (r.status === 'succeeded') return { body: { reload: toReload(r) } };
          if (r.status === 'failed') {
            throw new AppError(
              ErrorCode.extensionReloadFailed,
              'the reload failed; the previous extensions stay active',
              {
                details: { reload: toReload(r) },
              },
            );
          }
          if (Date.now() > deadline) {
            // Free the slot so a later reload is not refused forever; a late host skips it.
            await deps.pool.query(
              `UPDATE extension_reloads SET status = 'failed', finished_at = now(),
                 error = jsonb_build_object('code', 'timeout', 'message', 'the extension host did not finish in time')
               WHERE id = $1 AND status IN ('pending', 'running')`,
              [id],
            );
            throw new AppError(
              ErrorCode.serviceUnavailable,
              'the extension host did not finish the reload in time',
              {
                details: { reloadId: id },
              },
            );
          }
          await new Promise((res) => setTimeout(res, 100));
        }
      },
    }),
    route({
      method: 'get',
      path: '/extensions/audit',
      operationId: 'extensions.audit',
      summary: 'Every reload: who asked, when, and what it loaded or why it failed (newest first)',
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
      responses: {
        200: { description: 'Reloads', schema: z.object({ reloads: z.array(reloadSchema) }) },
      },
      async handler({ query }) {
        const { rows } = await deps.pool.query<ReloadRow>(
          'SELECT * FROM extension_reloads ORDER BY created_at DESC LIMIT $1',
          [query.limit],
        );
        return { body: { reloads: rows.map(toReload) } };
      },
    }),
  ];
}
