import http from 'node:http';
import path from 'node:path';
import {
  BUILTIN_JOB_TYPES,
  CommandBus,
  EventCompactor,
  EventLog,
  IdempotencyStore,
  JobQueue,
  bootService,
} from '@codex-manager/core';
import { createApp } from './app';
import { EventHub } from './stream/event-hub';
import { attachSocketStream } from './stream/socket-server';

async function main(): Promise<void> {
  const { config, log, pool, notifier, heartbeat, releasers } = await bootService('gateway');
  const bus = new CommandBus(pool, notifier);
  await bus.start();
  releasers.add('command-bus', () => bus.stop());
  const hub = new EventHub(new EventLog(pool), notifier, log);
  await hub.start();
  releasers.add('event-hub', () => hub.stop());
  const compactor = new EventCompactor(pool, { retentionMs: config.deltaRetentionMs }, log);
  compactor.start();
  releasers.add('compactor', () => compactor.stop());

  const queue = await JobQueue.start({
    pool,
    types: BUILTIN_JOB_TYPES,
    enabled: config.queueEnabled,
    maxPending: config.queueMaxPending,
    source: 'gateway',
    log,
  });
  releasers.add('queue', () => queue.stop());

  const app = createApp({
    pool,
    bus,
    hub,
    idempotencyStore: new IdempotencyStore(pool),
    log,
    apiToken: config.apiToken,
    apiTokens: config.apiTokens,
    queue,
    commandTimeoutMs: config.commandTimeoutMs,
    defaultCwd: config.defaultCwd,
    lockDefaults: config.lockDefaults,
    prices: config.prices,
    heartbeatStaleMs: config.heartbeatStaleMs,
    webRoot: path.resolve(__dirname, '../../../web/dist'),
  });
  const server = http.createServer(app);
  const sockets = attachSocketStream(server, {
    hub,
    apiToken: config.apiToken,
    log,
    maxBufferedBytes: 4 * 1024 * 1024,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  releasers.add('http', async () => {
    await sockets.close();
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  await heartbeat.set('running', { url });
  // One machine-readable line so the launcher (and tests) learn the URL even with --port 0.
  // Always written, whatever CM_LOG_LEVEL says: the launcher learns the gateway's URL from this line.
  log.child({}, { level: 'info' }).info({ url, event: 'gateway.listening' }, `gateway listening on ${url}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
