import { z } from 'zod';
import { invalidRequest, type Pool, type PriceTable } from '@codex-manager/core';
import { route, type RouteSpec } from '../http/route';
import { USAGE_GROUPS, latestRateLimits, readUsage } from '../usage/usage';

const tokens = {
  inputTokens: z.number(),
  cachedInputTokens: z.number(),
  outputTokens: z.number(),
  reasoningOutputTokens: z.number(),
  totalTokens: z.number(),
};
const usageRow = z.object({
  key: z.string().describe('turn id, session id, project id ("" for none) or day YYYY-MM-DD'),
  label: z.string().nullable().describe('session title or project name'),
  turns: z.number().int(),
  ...tokens,
  cost: z.number().nullable().describe('USD; null when a model of the group has no price (CM_PRICES)'),
});

const when = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (!v) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'not an ISO date or time' });
      return z.NEVER;
    }
    return d;
  });

/** Token usage and cost by turn, session, project or day; the account's rate-limit windows. */
export function usageRoutes(deps: { pool: Pool; prices: PriceTable }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/usage',
      operationId: 'usage.get',
      summary: 'Token usage and cost by turn, session, project or day, and the rate-limit windows',
      query: z.object({
        groupBy: z.enum(USAGE_GROUPS).default('day'),
        sessionId: z.string().min(1).optional(),
        projectId: z.string().min(1).optional(),
        from: when.describe('ISO date or time, inclusive'),
        to: when.describe('ISO date or time, exclusive'),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      responses: {
        200: {
          description: 'Usage',
          schema: z.object({
            groupBy: z.enum(USAGE_GROUPS),
            rows: z.array(usageRow),
            totals: z.object({ turns: z.number().int(), ...tokens, cost: z.number().nullable() }),
            currency: z.literal('USD'),
            prices: z.record(z.string(), z.record(z.string(), z.number())),
            rateLimits: z.record(z.string(), z.unknown()).nullable(),
          }),
        },
      },
      async handler({ query }) {
        if (query.from && query.to && query.from >= query.to) throw invalidRequest('from must be before to');
        const [usage, rateLimits] = await Promise.all([
          readUsage(deps.pool, { ...query }, deps.prices),
          latestRateLimits(deps.pool),
        ]);
        return {
          body: {
            groupBy: query.groupBy,
            ...usage,
            currency: 'USD' as const,
            prices: deps.prices,
            rateLimits,
          },
        };
      },
    }),
  ];
}
