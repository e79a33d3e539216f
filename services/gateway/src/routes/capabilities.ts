import { z } from 'zod';
import { route, type RouteSpec } from '../http/route';
import { runtimeFor, type RouteDeps } from './common';

/** The runtime methods each API operation relies on. */
export const OPERATION_METHODS: Record<string, string[]> = {
  'sessions.create': ['thread/start', 'thread/name/set'],
  'sessions.get': ['thread/read', 'thread/turns/list'],
  'sessions.rename': ['thread/name/set'],
  'sessions.archive': ['thread/archive'],
  'sessions.unarchive': ['thread/unarchive'],
  'sessions.delete': ['thread/archive', 'turn/interrupt'],
  'sessions.resume': ['thread/resume'],
  'sessions.fork': ['thread/fork'],
  'sessions.sendMessage': ['turn/start', 'thread/resume'],
  'sessions.steer': ['turn/steer'],
  'sessions.interrupt': ['turn/interrupt'],
  'sessions.review': ['review/start'],
  'sessions.compact': ['thread/compact/start'],
  'sessions.rollback': ['thread/turns/list', 'thread/revert'],
  'sessions.cleanBackgroundTerminals': ['thread/backgroundTerminals/clean'],
  'runtime.models': ['model/list'],
  'runtime.readConfig': ['config/read'],
  'runtime.writeConfigValue': ['config/value/write'],
  'runtime.writeConfigBatch': ['config/batchWrite'],
  'runtime.configRequirements': ['configRequirements/read'],
  'account.read': ['account/read'],
  'account.loginStart': ['account/login/start'],
  'account.loginCancel': ['account/login/cancel'],
  'account.logout': ['account/logout'],
  'account.rateLimits': ['account/rateLimits/read'],
  'skills.list': ['skills/list'],
  'skills.setEnabled': ['skills/config/write'],
  'mcp.status': ['mcpServerStatus/list'],
  'mcp.reload': ['config/mcpServer/reload'],
  'mcp.oauthLogin': ['mcpServer/oauth/login'],
  'runtime.apps': ['app/list'],
  'runtime.experimentalFeatures': ['experimentalFeature/list'],
  'runtime.collaborationModes': ['collaborationMode/list'],
  'runtime.commandExec': ['command/exec'],
  'runtime.feedback': ['feedback/upload'],
};

interface BridgeCapabilities {
  runtime: Record<string, unknown>;
  methods: string[] | null;
  experimentalMethods: string[] | null;
  probes: { method: string; ok: boolean; ms: number; error?: { code: string; message: string } }[];
}

const capabilitiesSchema = z.object({
  runtime: z.record(z.string(), z.unknown()).describe('userAgent, version, pid'),
  methods: z
    .object({
      known: z.boolean().describe("false when the runtime's method table could not be read"),
      total: z.number(),
      experimental: z.array(z.string()),
      all: z.array(z.string()),
    })
    .describe('client→server methods the runtime binary implements'),
  operations: z.record(
    z.string(),
    z.object({ supported: z.boolean(), methods: z.array(z.string()), missing: z.array(z.string()) }),
  ),
  probes: z.array(
    z.object({
      method: z.string(),
      ok: z.boolean(),
      ms: z.number(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
});

export function capabilityRoutes(deps: RouteDeps): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/capabilities',
      operationId: 'system.capabilities',
      summary: 'What the runtime can do: its methods, which API operations they support, live probes',
      description:
        "Methods come from the runtime binary's own protocol schema; probes call read-only methods for " +
        'real (e.g. rate limits fail without an account).',
      responses: { 200: { description: 'Capabilities', schema: capabilitiesSchema } },
      async handler({ req }) {
        const caps = await runtimeFor(deps, req)<BridgeCapabilities>('runtime/capabilities', {});
        const all = new Set(caps.methods ?? []);
        const operations = Object.fromEntries(
          Object.entries(OPERATION_METHODS).map(([op, methods]) => {
            const missing = caps.methods ? methods.filter((m) => !all.has(m)) : [];
            return [op, { supported: missing.length === 0, methods, missing }];
          }),
        );
        return {
          body: {
            runtime: caps.runtime,
            methods: {
              known: caps.methods !== null,
              total: all.size,
              experimental: caps.experimentalMethods ?? [],
              all: caps.methods ?? [],
            },
            operations,
            probes: caps.probes,
          },
        };
      },
    }),
  ];
}
