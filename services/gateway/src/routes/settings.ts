import { z } from 'zod';
import {
  notFound,
  readSettings,
  writeSettings,
  writeSettingsObject,
  type Queryable,
  type Scope,
} from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';
import { requireSession } from '../sessions/store';
import { requireUnlocked, type RouteDeps } from './common';

const key = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits and . _ : -, at most 128');
const writeBody = z
  .object({
    values: z.record(key, z.unknown()).describe('top-level keys and their values; null deletes a key'),
    mode: z.enum(['merge', 'replace']).default('merge'),
  })
  .strict();
const keyBody = z
  .object({
    value: z
      .unknown()
      .refine((v) => v !== undefined && v !== null, 'value is required (DELETE removes a key)'),
  })
  .strict();

const change = z.object({ key: z.string(), before: z.unknown(), after: z.unknown() });
const settingsOut = z.object({
  scope: z.enum(['default', 'session']),
  sessionId: z.string().nullable(),
  values: z.record(z.string(), z.unknown()),
  locked: z.boolean().describe('default-scope writes answer 423'),
});
const writeOut = settingsOut.extend({ changes: z.array(change) });

const auditQuery = z
  .object({
    target: z.enum(['settings', 'controls', 'runtimeConfig']).optional(),
    scope: z.enum(['default', 'session', 'runtime']).optional(),
    sessionId: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.coerce.number().int().positive().optional().describe('cursor: entries older than this id'),
  })
  .strict();

const auditEntry = z.object({
  id: z.number(),
  at: z.string(),
  target: z.string(),
  scope: z.string(),
  sessionId: z.string().nullable(),
  action: z.string(),
  changes: z.array(change),
  actor: z.string(),
  source: z.string(),
});

interface AuditRow {
  id: number;
  at: Date;
  target: string;
  scope: string;
  session_id: string | null;
  action: string;
  changes: z.infer<typeof change>[];
  actor: string;
  source: string;
}

async function auditPage(db: Queryable, q: z.infer<typeof auditQuery>) {
  const values: unknown[] = [];
  const where: string[] = [];
  const add = (sql: string, v: unknown) => {
    values.push(v);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (q.target) add('target = ?', q.target);
  if (q.scope) add('scope = ?', q.scope);
  if (q.sessionId) add('session_id = ?', q.sessionId);
  if (q.before) add('id < ?', q.before);
  values.push(q.limit + 1);
  const { rows } = await db.query<AuditRow>(
    `SELECT * FROM settings_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY id DESC LIMIT $${values.length}`,
    values,
  );
  const page = rows.slice(0, q.limit);
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      target: r.target,
      scope: r.scope,
      sessionId: r.session_id,
      action: r.action,
      changes: r.changes,
      actor: r.actor,
      source: r.source,
    })),
    nextBefore: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/**
 * Key/value settings of the `default` scope (`/settings/default…`) and of one session
 * (`/sessions/:id/settings…`), and the audit trail of every write.
 */
export function settingsRoutes(deps: RouteDeps): RouteSpec[] {
  // Resolves the scope of a request; writes to the default scope fail with 423 when locked.
  const scopes = {
    default: {
      prefix: '/settings/default',
      group: 'Default',
      params: undefined,
      resolve: async (_p: unknown, write: boolean): Promise<Scope> => {
        if (write) requireUnlocked(deps, 'the default scope');
        return { scope: 'default' };
      },
    },
    session: {
      prefix: '/sessions/:id/settings',
      group: 'Session',
      params: z.object({ id: z.string().min(1).max(200) }),
      resolve: async (p: unknown, write: boolean): Promise<Scope> => {
        const s = await requireSession(deps.pool, (p as { id: string }).id, { mutating: write });
        return { scope: 'session', sessionId: s.id };
      },
    },
  };
  const out = (s: Scope, values: Record<string, unknown>) => ({
    scope: s.scope,
    sessionId: s.scope === 'session' ? s.sessionId : null,
    values,
    locked: deps.lockDefaults,
  });

  const routes: RouteSpec[] = [];
  for (const sc of Object.values(scopes)) {
    const keyParams = sc.params ? sc.params.extend({ key }) : z.object({ key });
    routes.push(
      route({
        method: 'get',
        path: sc.prefix,
        operationId: `settings.get${sc.group}`,
        summary: `${sc.group} settings`,
        ...(sc.params ? { params: sc.params } : {}),
        responses: { 200: { description: 'Settings', schema: settingsOut } },
        async handler({ params }) {
          const s = await sc.resolve(params, false);
          return { body: out(s, await readSettings(deps.pool, s)) };
        },
      }),
      route({
        method: 'put',
        path: sc.prefix,
        operationId: `settings.write${sc.group}`,
        summary: `Write ${sc.group.toLowerCase()} settings (merge or replace)`,
        ...(sc.params ? { params: sc.params } : {}),
        body: writeBody,
        responses: { 200: { description: 'The settings after the write', schema: writeOut } },
        async handler({ params, body, req }) {
          const s = await sc.resolve(params, true);
          const r = await writeSettingsObject(deps.pool, s, originOf(req), body.values, body.mode);
          return { body: { ...out(s, r.values), changes: r.changes } };
        },
      }),
      route({
        method: 'put',
        path: `${sc.prefix}/:key`,
        operationId: `settings.set${sc.group}Key`,
        summary: `Set one ${sc.group.toLowerCase()} setting (the value replaces the old one)`,
        params: keyParams,
        body: keyBody,
        responses: { 200: { description: 'The settings after the write', schema: writeOut } },
        async handler({ params, body, req }) {
          const s = await sc.resolve(params, true);
          const k = (params as { key: string }).key;
          const r = await writeSettings(deps.pool, s, originOf(req), 'set', (cur) => ({
            ...cur,
            [k]: body.value,
          }));
          return { body: { ...out(s, r.values), changes: r.changes } };
        },
      }),
      route({
        method: 'delete',
        path: `${sc.prefix}/:key`,
        operationId: `settings.delete${sc.group}Key`,
        summary: `Delete one ${sc.group.toLowerCase()} setting`,
        params: keyParams,
        responses: { 200: { description: 'The settings after the write', schema: writeOut } },
        async handler({ params, req }) {
          const s = await sc.resolve(params, true);
          const k = (params as { key: string }).key;
          const r = await writeSettings(deps.pool, s, originOf(req), 'delete', (cur) => {
            if (!(k in cur)) throw notFound('setting', k);
            const { [k]: _gone, ...rest } = cur;
            return rest;
          });
          return { body: { ...out(s, r.values), changes: r.changes } };
        },
      }),
    );
  }
  routes.push(
    route({
      method: 'get',
      path: '/settings/audit',
      operationId: 'settings.audit',
      summary: 'The audit trail of settings, controls and runtime config writes, newest first',
      description: 'Pass `nextBefore` back as `before` for the next page.',
      query: auditQuery,
      responses: {
        200: {
          description: 'Entries',
          schema: z.object({ entries: z.array(auditEntry), nextBefore: z.number().nullable() }),
        },
      },
      handler: async ({ query }) => ({ body: await auditPage(deps.pool, query) }),
    }),
  );
  return routes;
}
