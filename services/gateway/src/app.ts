import path from 'node:path';
import express, { type Express } from 'express';
import type { CommandBus, IdempotencyStore, Logger, Pool } from '@codex-manager/core';
import { requireToken } from './http/auth';
import { errorHandler, notFoundRoute } from './http/errors';
import { idempotency } from './http/idempotency';
import { requestSpan } from './http/tracing';
import { healthRouter } from './routes/health';
import { sessionsRouter } from './routes/sessions';
import type { EventHub } from './stream/event-hub';
import { sseHandler } from './stream/sse';

export interface AppDeps {
  pool: Pool;
  bus: CommandBus;
  hub: EventHub;
  idempotencyStore: IdempotencyStore;
  log: Logger;
  apiToken: string | undefined;
  commandTimeoutMs: number;
  defaultCwd: string | undefined;
  heartbeatStaleMs: number;
  webRoot: string;
}

/** The HTTP surface: /api routes (authenticated when a token is set) and the web app at /. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const api = express.Router();
  api.use(requestSpan);
  api.use(requireToken(deps.apiToken));
  api.use(express.json({ limit: '1mb' }));
  api.use(idempotency(deps.idempotencyStore));
  api.use(
    '/health',
    healthRouter({ pool: deps.pool, staleMs: deps.heartbeatStaleMs, hubHead: () => deps.hub.head }),
  );
  api.use(
    '/sessions',
    sessionsRouter({
      pool: deps.pool,
      bus: deps.bus,
      commandTimeoutMs: deps.commandTimeoutMs,
      defaultCwd: deps.defaultCwd,
    }),
  );
  api.get('/stream', sseHandler(deps.hub, { pingMs: 15_000, maxBufferedBytes: 4 * 1024 * 1024 }));
  api.use(notFoundRoute);
  api.use(errorHandler(deps.log));
  app.use('/api', api);
  app.use(express.static(deps.webRoot, { index: 'index.html', maxAge: '1h' }));
  app.get('/{*path}', (_req, res) => res.sendFile(path.join(deps.webRoot, 'index.html')));
  return app;
}
