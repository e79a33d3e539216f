import os from 'node:os';
import path from 'node:path';
import { assertSafeBind, loadConfig, configHelp, ConfigError, type ResolvedConfig } from './config';
import { createPool, type Pool } from './db/pool';
import { Notifier } from './db/notifier';
import { Heartbeat, type ServiceName } from './heartbeat';
import { Releasers, onShutdownSignal } from './lifecycle';
import { createLogger, type Logger } from './logger';
import { startTelemetry } from './telemetry';

export interface ServiceBase {
  config: ResolvedConfig;
  log: Logger;
  pool: Pool;
  notifier: Notifier;
  heartbeat: Heartbeat;
  releasers: Releasers;
}

export const codexHomeOf = (config: ResolvedConfig): string =>
  config.codexHome ?? path.join(os.homedir(), '.codex');

/**
 * What every service's main does first: resolve config, logger, telemetry, pool, the shared LISTEN
 * connection and the heartbeat row; everything registered for release in reverse order on
 * SIGINT/SIGTERM. The service adds its own parts, then calls `ready()`.
 */
export async function bootService(service: ServiceName, argv = process.argv.slice(2)): Promise<ServiceBase> {
  if (argv.includes('--help')) {
    console.log(`usage: ${service} [options]\n\n${configHelp()}`);
    process.exit(0);
  }
  let config: ResolvedConfig;
  try {
    config = loadConfig({ argv }).config;
    if (service === 'gateway') assertSafeBind(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${service}: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(service, config.logLevel);
  // Watched from the start: a launcher that dies while this service still waits for its database
  // (which the launcher may have taken with it) must not leave it waiting forever.
  let stoppable = false;
  if (config.parentPid)
    watchParent(config.parentPid, () => {
      if (stoppable) return void process.kill(process.pid, 'SIGTERM');
      log.warn({ parentPid: config.parentPid }, 'the launcher is gone before this service started; exiting');
      process.exit(1);
    });
  if (!config.databaseUrl) {
    log.fatal('DATABASE_URL is not set (npm start sets it for you)');
    process.exit(2);
  }
  const releasers = new Releasers();
  const telemetry = startTelemetry({
    serviceName: service,
    ...(config.otlpEndpoint ? { otlpEndpoint: config.otlpEndpoint } : {}),
  });
  releasers.add('telemetry', () => telemetry.shutdown());
  const pool = createPool(config.databaseUrl, { applicationName: `codex-manager-${service}` });
  releasers.add('pool', () => pool.end());
  const notifier = new Notifier(config.databaseUrl, log);
  await notifier.start();
  releasers.add('notifier', () => notifier.stop());
  const heartbeat = new Heartbeat(pool, service, config.heartbeatIntervalMs, log, config.instanceId);
  await heartbeat.start();
  releasers.add('heartbeat', () => heartbeat.stop());
  onShutdownSignal(() => releasers.releaseAll(log), log);
  stoppable = true;
  process.on('unhandledRejection', (e) =>
    log.error({ err: (e as Error)?.message ?? String(e) }, 'unhandled rejection'),
  );
  return { config, log, pool, notifier, heartbeat, releasers };
}

/** A launcher killed hard cannot stop its children: they notice it is gone and stop themselves. */
function watchParent(pid: number, onGone: () => void): void {
  const t = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch {
      clearInterval(t);
      onGone();
    }
  }, 1000);
  t.unref();
}
