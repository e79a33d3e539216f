import { z } from 'zod';
import {
  approvalPolicySchema,
  loadControls,
  readControls,
  resolveControls,
  sandboxModeSchema,
  writeControls,
} from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';
import { requireSession } from '../sessions/store';
import { idParams, requireUnlocked, type RouteDeps } from './common';

const controlsIn = z
  .object({
    model: z.string().trim().min(1).max(200).nullable(),
    approvalPolicy: approvalPolicySchema.nullable(),
    sandbox: sandboxModeSchema.nullable(),
    networkAccess: z.boolean().nullable(),
  })
  .partial()
  .strict();

const writeBody = z
  .object({
    controls: controlsIn.describe('fields to set; null clears a field of this scope'),
    mode: z.enum(['merge', 'replace']).default('merge'),
  })
  .strict();

const controls = z.object({
  model: z.string().optional(),
  approvalPolicy: approvalPolicySchema.optional(),
  sandbox: sandboxModeSchema.optional(),
  networkAccess: z.boolean().optional(),
});
const change = z.object({ key: z.string(), before: z.unknown(), after: z.unknown() });

const defaultOut = z.object({ controls, locked: z.boolean() });
const sessionOut = z.object({
  sessionId: z.string(),
  session: controls.describe('set on this session'),
  default: controls.describe('the default scope'),
  runtime: controls.describe('what the runtime chose when the thread was created'),
  effective: z.object({
    values: controls,
    sources: z.record(z.string(), z.enum(['turn', 'session', 'default', 'runtime'])),
  }),
  locked: z.boolean(),
});

/**
 * The controls tuple (model, approval policy, sandbox, network access) per scope. Every turn runs
 * with the effective tuple: per-turn override, then session, then default, then the runtime's own.
 */
export function controlsRoutes(deps: RouteDeps): RouteSpec[] {
  const sessionView = async (id: string) => {
    const layers = await loadControls(deps.pool, id);
    const { sandboxPolicy: _p, ...rest } = layers;
    return { sessionId: id, ...rest, effective: resolveControls(rest), locked: deps.lockDefaults };
  };
  return [
    route({
      method: 'get',
      path: '/controls/default',
      operationId: 'controls.getDefault',
      summary: 'Default controls (apply to every session that does not set its own)',
      responses: { 200: { description: 'Controls', schema: defaultOut } },
      handler: async () => ({
        body: { controls: await readControls(deps.pool, { scope: 'default' }), locked: deps.lockDefaults },
      }),
    }),
    route({
      method: 'put',
      path: '/controls/default',
      operationId: 'controls.setDefault',
      summary: 'Write default controls (423 when defaults are locked by configuration)',
      body: writeBody,
      responses: {
        200: { description: 'After the write', schema: defaultOut.extend({ changes: z.array(change) }) },
      },
      async handler({ body, req }) {
        requireUnlocked(deps, 'the default scope');
        const r = await writeControls(
          deps.pool,
          { scope: 'default' },
          originOf(req),
          body.controls,
          body.mode,
        );
        return { body: { controls: r.values, locked: deps.lockDefaults, changes: r.changes } };
      },
    }),
    route({
      method: 'get',
      path: '/sessions/:id/controls',
      operationId: 'controls.getSession',
      summary: "A session's controls: each scope and the effective tuple with where each field comes from",
      params: idParams,
      responses: { 200: { description: 'Controls', schema: sessionOut } },
      async handler({ params }) {
        const s = await requireSession(deps.pool, params.id);
        return { body: await sessionView(s.id) };
      },
    }),
    route({
      method: 'put',
      path: '/sessions/:id/controls',
      operationId: 'controls.setSession',
      summary: "Write a session's controls; the next turn runs with them",
      params: idParams,
      body: writeBody,
      responses: {
        200: { description: 'After the write', schema: sessionOut.extend({ changes: z.array(change) }) },
      },
      async handler({ params, body, req }) {
        const s = await requireSession(deps.pool, params.id, { mutating: true });
        const r = await writeControls(
          deps.pool,
          { scope: 'session', sessionId: s.id },
          originOf(req),
          body.controls,
          body.mode,
        );
        return { body: { ...(await sessionView(s.id)), changes: r.changes } };
      },
    }),
  ];
}
