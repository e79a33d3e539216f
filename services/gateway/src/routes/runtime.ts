import type { Request } from 'express';
import { z } from 'zod';
import { insertAudit } from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';
import { requireSession } from '../sessions/store';
import {
  absolutePath,
  boolQuery,
  requireUnlocked,
  runtimeFor,
  runtimeResult,
  type RouteDeps,
} from './common';

const page = {
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(2000).optional(),
};
const ok = (description: string) => ({ 200: { description, schema: runtimeResult } });
const keyPath = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dotted key path, e.g. tui.theme');
const configEdit = z
  .object({
    keyPath,
    value: z.unknown().refine((v) => v !== undefined, 'value is required'),
    mergeStrategy: z.enum(['replace', 'upsert']).default('replace'),
  })
  .strict();

/** Drops undefined fields: the runtime treats a present `null` differently from an absent field. */
const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** The value at a dotted key path of the runtime's effective config (for the audit's `before`). */
function valueAt(config: unknown, path: string): unknown {
  let v: unknown = config;
  for (const k of path.split('.')) v = (v as Record<string, unknown> | null)?.[k];
  return v ?? null;
}

/**
 * The runtime's own surface, passed through: models, Codex config, account, skills, MCP servers,
 * apps, experimental features, collaboration modes, one-off commands and feedback. Results are the
 * runtime's, verbatim; its errors keep stable codes (see docs/api.md).
 */
export function runtimeRoutes(deps: RouteDeps): RouteSpec[] {
  const call = (req: Request, method: string, params: Record<string, unknown> = {}, timeoutMs?: number) =>
    runtimeFor(deps, req)(method, defined(params), { timeoutMs });

  /** Config writes change the runtime's defaults: locked like the default scope, and audited. */
  async function configWrite(
    req: Request,
    method: string,
    params: Record<string, unknown>,
    edits: z.infer<typeof configEdit>[],
  ) {
    requireUnlocked(deps, "the runtime's config");
    const before = await call(req, 'config/read', {}).then(
      (r) => r.config,
      () => null,
    );
    const result = await call(req, method, params);
    await insertAudit(deps.pool, {
      target: 'runtimeConfig',
      scope: 'runtime',
      sessionId: null,
      action: method === 'config/batchWrite' ? 'batchWrite' : 'write',
      changes: edits.map((e) => ({ key: e.keyPath, before: valueAt(before, e.keyPath), after: e.value })),
      ...originOf(req),
    });
    return { body: result };
  }

  return [
    route({
      method: 'get',
      path: '/models',
      operationId: 'runtime.models',
      summary: 'Models the runtime offers (model/list)',
      query: z
        .object({
          ...page,
          includeHidden: boolQuery.optional(),
          modelProvider: z.string().max(200).optional(),
        })
        .strict(),
      responses: ok('model/list result: {data, nextCursor}'),
      handler: async ({ query, req }) => ({ body: await call(req, 'model/list', query) }),
    }),
    route({
      method: 'get',
      path: '/config',
      operationId: 'runtime.readConfig',
      summary: "Codex's effective config (config/read)",
      query: z.object({ includeLayers: boolQuery.optional(), cwd: absolutePath.optional() }).strict(),
      responses: ok('config/read result: {config, origins, layers?}'),
      handler: async ({ query, req }) => ({ body: await call(req, 'config/read', query) }),
    }),
    route({
      method: 'post',
      path: '/config/value',
      operationId: 'runtime.writeConfigValue',
      summary:
        "Write one value of Codex's config.toml (config/value/write); audited, 423 when defaults are locked",
      body: configEdit.extend({ expectedVersion: z.string().max(200).optional() }).strict(),
      responses: ok('config/value/write result: {status, version, filePath}'),
      handler: ({ body, req }) => configWrite(req, 'config/value/write', body, [body]),
    }),
    route({
      method: 'post',
      path: '/config/batch',
      operationId: 'runtime.writeConfigBatch',
      summary:
        "Write several values of Codex's config.toml at once (config/batchWrite); audited, 423 when locked",
      body: z
        .object({
          edits: z.array(configEdit).min(1).max(100),
          expectedVersion: z.string().max(200).optional(),
          reloadUserConfig: z.boolean().optional(),
        })
        .strict(),
      responses: ok('config/batchWrite result: {status, version, filePath}'),
      handler: ({ body, req }) => configWrite(req, 'config/batchWrite', body, body.edits),
    }),
    route({
      method: 'get',
      path: '/config/requirements',
      operationId: 'runtime.configRequirements',
      summary: 'Requirements imposed on the config by policy (configRequirements/read)',
      responses: ok('{requirements: null when none}'),
      handler: async ({ req }) => ({ body: await call(req, 'configRequirements/read') }),
    }),
    route({
      method: 'get',
      path: '/account',
      operationId: 'account.read',
      summary: 'The runtime account (account/read)',
      query: z.object({ refreshToken: boolQuery.optional() }).strict(),
      responses: ok('{account, requiresOpenaiAuth, …}'),
      handler: async ({ query, req }) => ({ body: await call(req, 'account/read', query) }),
    }),
    route({
      method: 'post',
      path: '/account/login',
      operationId: 'account.loginStart',
      summary: 'Start a login: an API key, or ChatGPT in the browser (authUrl) or by device code',
      description:
        'The API key is removed from the stored command once the runtime has it; it is never returned or logged.',
      body: z.discriminatedUnion('type', [
        z.object({ type: z.literal('apiKey'), apiKey: z.string().trim().min(8).max(500) }).strict(),
        z.object({ type: z.literal('chatgpt') }).strict(),
        z.object({ type: z.literal('chatgptDeviceCode') }).strict(),
      ]),
      responses: ok('{type, loginId?, authUrl?, verificationUrl?, userCode?}'),
      handler: async ({ body, req }) => ({ body: await call(req, 'account/login/start', body) }),
    }),
    route({
      method: 'post',
      path: '/account/login/:loginId/cancel',
      operationId: 'account.loginCancel',
      summary: 'Cancel a login in progress',
      params: z.object({ loginId: z.string().min(1).max(200) }),
      responses: ok('{status}'),
      handler: async ({ params, req }) => ({
        body: await call(req, 'account/login/cancel', { loginId: params.loginId }),
      }),
    }),
    route({
      method: 'post',
      path: '/account/logout',
      operationId: 'account.logout',
      summary: 'Log the runtime out',
      responses: ok('{}'),
      handler: async ({ req }) => ({ body: await call(req, 'account/logout') }),
    }),
    route({
      method: 'get',
      path: '/account/rate-limits',
      operationId: 'account.rateLimits',
      summary: "The account's rate limits (needs an account)",
      responses: ok('account/rateLimits/read result'),
      handler: async ({ req }) => ({ body: await call(req, 'account/rateLimits/read') }),
    }),
    route({
      method: 'get',
      path: '/skills',
      operationId: 'skills.list',
      summary: 'Skills available per working directory (skills/list)',
      query: z.object({ cwd: absolutePath.optional(), forceReload: boolQuery.optional() }).strict(),
      responses: ok('{data: [{cwd, skills, errors}]}'),
      handler: async ({ query, req }) => ({
        body: await call(req, 'skills/list', {
          ...(query.cwd ? { cwds: [query.cwd] } : {}),
          forceReload: query.forceReload,
        }),
      }),
    }),
    route({
      method: 'post',
      path: '/skills/config',
      operationId: 'skills.setEnabled',
      summary: 'Enable or disable a skill, by name or by path (skills/config/write)',
      body: z
        .object({
          name: z.string().min(1).max(200).optional(),
          path: absolutePath.optional(),
          enabled: z.boolean(),
        })
        .strict()
        .refine(
          (b) => (b.name === undefined) !== (b.path === undefined),
          'give exactly one of name and path',
        ),
      responses: ok('{effectiveEnabled}'),
      handler: async ({ body, req }) => ({ body: await call(req, 'skills/config/write', body) }),
    }),
    route({
      method: 'get',
      path: '/mcp-servers',
      operationId: 'mcp.status',
      summary: 'MCP servers and their status (mcpServerStatus/list)',
      query: z.object({ ...page, detail: z.enum(['full', 'toolsAndAuthOnly']).optional() }).strict(),
      responses: ok('{data, nextCursor}'),
      handler: async ({ query, req }) => ({ body: await call(req, 'mcpServerStatus/list', query) }),
    }),
    route({
      method: 'post',
      path: '/mcp-servers/reload',
      operationId: 'mcp.reload',
      summary: 'Reload MCP server configuration',
      responses: ok('{}'),
      handler: async ({ req }) => ({ body: await call(req, 'config/mcpServer/reload') }),
    }),
    route({
      method: 'post',
      path: '/mcp-servers/:name/oauth-login',
      operationId: 'mcp.oauthLogin',
      summary: 'Start an OAuth login for an MCP server',
      params: z.object({ name: z.string().min(1).max(200) }),
      body: z
        .object({
          scopes: z.array(z.string().min(1).max(200)).max(50).optional(),
          timeoutSecs: z.number().int().min(1).max(3600).optional(),
        })
        .strict(),
      responses: ok('mcpServer/oauth/login result'),
      handler: async ({ params, body, req }) => ({
        body: await call(req, 'mcpServer/oauth/login', { name: params.name, ...body }),
      }),
    }),
    route({
      method: 'get',
      path: '/apps',
      operationId: 'runtime.apps',
      summary: 'Apps and connectors (app/list)',
      query: z.object({ ...page, forceRefetch: boolQuery.optional() }).strict(),
      responses: ok('{data, nextCursor}'),
      handler: async ({ query, req }) => ({ body: await call(req, 'app/list', query) }),
    }),
    route({
      method: 'get',
      path: '/experimental-features',
      operationId: 'runtime.experimentalFeatures',
      summary: 'Experimental features and whether each is enabled',
      query: z.object(page).strict(),
      responses: ok('{data, nextCursor}'),
      handler: async ({ query, req }) => ({ body: await call(req, 'experimentalFeature/list', query) }),
    }),
    route({
      method: 'get',
      path: '/collaboration-modes',
      operationId: 'runtime.collaborationModes',
      summary: 'Collaboration mode presets (use `collaborationMode` when sending a message)',
      responses: ok('{data}'),
      handler: async ({ req }) => ({ body: await call(req, 'collaborationMode/list') }),
    }),
    route({
      method: 'post',
      path: '/command-exec',
      operationId: 'runtime.commandExec',
      summary: "Run one command (argv) in the runtime's sandbox, outside any session",
      body: z
        .object({
          command: z.array(z.string().max(100_000)).min(1, 'command must not be empty').max(1000),
          cwd: absolutePath.optional(),
          timeoutMs: z.number().int().min(1).max(600_000).optional(),
          env: z.record(z.string(), z.string().nullable()).optional(),
          outputBytesCap: z
            .number()
            .int()
            .min(1)
            .max(64 * 1024 * 1024)
            .optional(),
        })
        .strict(),
      responses: ok('{exitCode, stdout, stderr}'),
      handler: async ({ body, req }) => ({
        body: await call(
          req,
          'command/exec',
          body,
          body.timeoutMs === undefined ? undefined : body.timeoutMs + 15_000,
        ),
      }),
    }),
    route({
      method: 'post',
      path: '/feedback',
      operationId: 'runtime.feedback',
      summary: 'Send feedback about the runtime (feedback/upload; needs network access)',
      body: z
        .object({
          classification: z.string().trim().min(1).max(100),
          reason: z.string().max(10_000).optional(),
          sessionId: z.string().min(1).max(200).optional(),
          includeLogs: z.boolean().default(false),
        })
        .strict(),
      responses: ok('feedback/upload result'),
      async handler({ body, req }) {
        const { sessionId, ...rest } = body;
        if (sessionId) await requireSession(deps.pool, sessionId);
        return { body: await call(req, 'feedback/upload', { ...rest, threadId: sessionId }) };
      },
    }),
  ];
}
