import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CommandBus, EventLog, IdempotencyStore, Notifier, createLogger } from '@codex-manager/core';
import { createApp } from '../src/app';
import { EventHub } from '../src/stream/event-hub';
import { attachSocketStream } from '../src/stream/socket-server';
import type { TestDatabase } from '../../../test/helpers/db';

export interface InProcessGateway {
  url: string;
  hub: EventHub;
  stop(): Promise<void>;
}

/**
 * A gateway in this process over a real database (no runtime-bridge): REST, SSE and socket.io exactly
 * as main.ts wires them, with its own LISTEN connection, so two of them behave like two processes.
 */
export async function startGateway(
  db: TestDatabase,
  opts: { token?: string; maxBufferedBytes?: number } = {},
): Promise<InProcessGateway> {
  const log = createLogger('test', 'silent');
  const notifier = new Notifier(db.url, log);
  await notifier.start();
  const bus = new CommandBus(db.pool, notifier);
  await bus.start();
  const hub = new EventHub(new EventLog(db.pool), notifier, log);
  await hub.start();
  const maxBufferedBytes = opts.maxBufferedBytes ?? 4 * 1024 * 1024;
  const app = createApp({
    pool: db.pool,
    bus,
    hub,
    idempotencyStore: new IdempotencyStore(db.pool),
    log,
    apiToken: opts.token,
    commandTimeoutMs: 300,
    defaultCwd: undefined,
    heartbeatStaleMs: 10_000,
    webRoot: `${__dirname}/../../../web/public`,
    lockDefaults: false,
    streamMaxBufferedBytes: maxBufferedBytes,
  });
  const server = http.createServer(app);
  const sockets = attachSocketStream(server, { hub, apiToken: opts.token, log, maxBufferedBytes });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hub,
    async stop() {
      await sockets.close();
      hub.stop();
      bus.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await notifier.stop();
    },
  };
}
