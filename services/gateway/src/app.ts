import express, { type Express } from 'express';
import type { CommandBus, IdempotencyStore, JobQueue, Logger, Pool, PriceTable } from '@codex-manager/core';
import { requireToken } from './http/auth';
import { errorHandler, notFoundRoute } from './http/errors';
import { idempotency } from './http/idempotency';
import { openApiDocument } from './http/openapi';
import { mount, route, type RouteSpec } from './http/route';
import { tokenTable, type TokenEntry } from './http/roles';
import { requestSpan } from './http/tracing';
import { webRoutes } from './http/web';
import { Metrics } from './metrics';
import { healthRoutes } from './routes/health';
import { inboxRoutes } from './routes/inbox';
import { usageRoutes } from './routes/usage';
import { capabilityRoutes } from './routes/capabilities';
import { controlsRoutes } from './routes/controls';
import { projectRoutes } from './routes/projects';
import { runtimeRoutes } from './routes/runtime';
import { sessionTurnRoutes } from './routes/session-turns';
import { extensionRoutes } from './routes/extensions';
import { jobRoutes } from './routes/jobs';
import { requestRoutes } from './routes/requests';
import { sessionRoutes } from './routes/sessions';
import { settingsRoutes } from './routes/settings';
import { transcriptRoutes } from './routes/transcript';
import { webhookRoutes } from './routes/webhooks';
import type { EventHub } from './stream/event-hub';
import { streamRoutes } from './stream/sse';

export const API_VERSION = '0.1.0';

export interface AppDeps {
  pool: Pool;
  bus: CommandBus;
  hub: EventHub;
  idempotencyStore: IdempotencyStore;
  log: Logger;
  apiToken: string | undefined;
  /** `CM_API_TOKENS`: more tokens, each with a role (`CM_API_TOKEN` is admin). */
  apiTokens?: TokenEntry[] | undefined;
  /** The job queue; absent or off: job changes answer 503. */
  queue?: JobQueue | null;
  commandTimeoutMs: number;
  defaultCwd: string | undefined;
  /** USD per million tokens by model, for usage costs (CM_PRICES). */
  prices?: PriceTable;
  /** Default-scope writes answer 423 (CM_LOCK_DEFAULTS). */
  lockDefaults: boolean;
  heartbeatStaleMs: number;
  /** The built dashboard (web/dist). */
  webRoot: string;
  /** Bytes a stream client may have unsent before it is cut off (default 4 MiB). */
  streamMaxBufferedBytes?: number;
}

/** Every API route. The OpenAPI document, the CLI and the SDK all derive from this list. */
export function apiRoutes(deps: AppDeps): RouteSpec[] {
  return buildApi(deps).routes;
}

function buildApi(deps: AppDeps): { routes: RouteSpec[]; metrics: Metrics } {
  const metrics = new Metrics(
    deps.pool,
    () => deps.hub.head,
    () => deps.hub.stats().subscribers,
  );
  const routes: RouteSpec[] = [
    ...metrics.routes(),
    ...healthRoutes({ pool: deps.pool, staleMs: deps.heartbeatStaleMs, hubHead: () => deps.hub.head }),
    ...sessionRoutes(deps),
    ...sessionTurnRoutes(deps),
    ...transcriptRoutes(deps),
    ...projectRoutes(deps),
    ...controlsRoutes(deps),
    ...settingsRoutes(deps),
    ...runtimeRoutes(deps),
    ...capabilityRoutes(deps),
    ...jobRoutes(deps),
    ...extensionRoutes(deps),
    ...requestRoutes(deps),
    ...webhookRoutes(deps),
    ...inboxRoutes(deps),
    ...usageRoutes({ pool: deps.pool, prices: deps.prices ?? {} }),
    ...streamRoutes(deps.hub, {
      pingMs: 15_000,
      maxBufferedBytes: deps.streamMaxBufferedBytes ?? 4 * 1024 * 1024,
    }),
  ];
  routes.push(
    route({
      method: 'get',
      path: '/openapi.json',
      operationId: 'system.openapi',
      summary: 'This API as an OpenAPI 3.1 document',
      responses: { 200: { description: 'OpenAPI document' } },
      handler: () => ({ body: openApiDocument(routes, API_VERSION) }),
    }),
  );
  return { routes, metrics };
}

/** The HTTP surface: /api routes (authenticated when a token is set) and the web app at /. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const api = express.Router();
  const { routes, metrics } = buildApi(deps);
  api.use(requestSpan);
  api.use(metrics.middleware);
  api.use(requireToken(tokenTable(deps.apiToken, deps.apiTokens)));
  api.use(express.json({ limit: '1mb' }));
  api.use(idempotency(deps.idempotencyStore));
  mount(api, routes);
  api.use(notFoundRoute);
  api.use(errorHandler(deps.log));
  app.use('/api', api);
  app.use(webRoutes(deps.webRoot));
  return app;
}
