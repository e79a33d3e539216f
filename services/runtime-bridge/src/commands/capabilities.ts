import { ErrorCode, mapJsonRpcError } from '@codex-manager/core';
import { RpcCallError } from '../app-server/client';
import type { CommandHandler } from './types';

/**
 * Read-only methods called for real by the capabilities probe: each says whether that area works
 * with this runtime and these credentials right now (e.g. rate limits need an account).
 */
const PROBES: { method: string; params?: unknown }[] = [
  { method: 'model/list', params: { limit: 1 } },
  { method: 'config/read', params: {} },
  { method: 'configRequirements/read' },
  { method: 'account/read', params: {} },
  { method: 'account/rateLimits/read' },
  { method: 'skills/list', params: {} },
  { method: 'mcpServerStatus/list', params: { limit: 1 } },
  { method: 'app/list', params: { limit: 1 } },
  { method: 'experimentalFeature/list', params: { limit: 1 } },
  { method: 'collaborationMode/list', params: {} },
];

const PROBE_TIMEOUT_MS = 5000;

export const CAPABILITY_HANDLERS: Record<string, CommandHandler> = {
  'runtime/capabilities': async (ctx) => {
    const table = await ctx.methods.table();
    const probes = await Promise.all(
      PROBES.map(async ({ method, params }) => {
        const t0 = performance.now();
        try {
          await ctx.client.request(method, params, PROBE_TIMEOUT_MS);
          return { method, ok: true, ms: Math.round(performance.now() - t0) };
        } catch (e) {
          const rpc = e instanceof RpcCallError ? e.rpc : null;
          const code = rpc
            ? rpc.code === -32001
              ? ErrorCode.runtimeTimeout
              : mapJsonRpcError(rpc.code)
            : ErrorCode.runtimeUnavailable;
          return {
            method,
            ok: false,
            ms: Math.round(performance.now() - t0),
            error: {
              code,
              message: rpc?.message ?? (e as Error).message,
              ...(rpc ? { rpcCode: rpc.code } : {}),
            },
          };
        }
      }),
    );
    const init = ctx.client.initializeResult;
    return {
      result: {
        runtime: {
          userAgent: init?.userAgent ?? null,
          version: /\/(\d+\.\d+\.\d+[^\s]*)/.exec(init?.userAgent ?? '')?.[1] ?? null,
          pid: ctx.client.pid ?? null,
          experimentalApi: true,
        },
        methods: table ? [...table.all].sort() : null,
        experimentalMethods: table ? [...table.experimental].sort() : null,
        probes,
      },
    };
  },
};
