import path from 'node:path';
import {
  BUILTIN_JOB_TYPES,
  CommandBus,
  EventLog,
  JobQueue,
  sqlActionBackends,
  bootService,
} from '@codex-manager/core';
import { Dispatcher } from './dispatcher';
import { ExtensionHost } from './host';
import { InboxProjector } from './inbox-projector';
import { Inventory } from './inventory';
import { ReloadWorker } from './reloads';

/** The bundled extensions ship in the repository's `extensions/` folder. */
const BUNDLED = path.resolve(__dirname, '../../../extensions');

async function main(): Promise<void> {
  const { config, log, pool, notifier, heartbeat, releasers } = await bootService('extension-host');
  const events = new EventLog(pool);
  const bus = new CommandBus(pool, notifier);
  await bus.start();
  releasers.add('command-bus', () => bus.stop());
  const queue = await JobQueue.start({
    pool,
    types: BUILTIN_JOB_TYPES,
    enabled: config.queueEnabled,
    maxPending: config.queueMaxPending,
    source: 'extension-host',
    log,
  });
  releasers.add('queue', () => queue.stop());

  const inventory = new Inventory(pool, config.extensionTrust, log);
  inventory.start();
  releasers.add('inventory', () => inventory.stop());
  const dispatcher = new Dispatcher(pool, notifier, events, log);
  // What bundled extensions learn from the configuration. Webhook secrets and URLs stay in the
  // queue-worker, which looks a target up by name when it delivers.
  const bundledOptions = {
    webhooks: { targets: config.webhooks.map((t) => ({ name: t.name, kinds: t.kinds })) },
  };
  const host = new ExtensionHost({
    roots: [
      ...(config.bundledExtensions ? [{ dir: BUNDLED, origin: 'bundled', options: bundledOptions }] : []),
      ...config.extensionRoots.map((dir) => ({ dir, origin: dir })),
    ],
    dispatcher,
    inventory,
    actionDeps: {
      pool,
      bus,
      queue: queue.enabled ? queue : null,
      ...sqlActionBackends(pool, bus, {
        commandTimeoutMs: config.commandTimeoutMs,
        lockDefaults: config.lockDefaults,
      }),
      commandTimeoutMs: config.commandTimeoutMs,
    },
    trust: config.extensionTrust,
    timeoutMs: config.extensionTimeoutMs,
    log,
  });
  const summary = await host.start();
  await dispatcher.start();
  releasers.add('dispatcher', () => dispatcher.stop());
  const inbox = new InboxProjector(pool, notifier, {
    longTurnMs: config.inboxLongTurnMs,
    toolCallGraceMs: config.inboxToolCallGraceMs,
    log,
  });
  await inbox.start();
  releasers.add('inbox', () => inbox.stop());
  const reloads = new ReloadWorker(pool, notifier, events, host, log);
  await reloads.start();
  releasers.add('reloads', () => reloads.stop());
  await heartbeat.set('running', {
    trust: config.extensionTrust,
    extensions: summary.active.map((e) => e.name),
  });
  await events.append([{ type: 'extension.host.started', source: 'extension-host', data: { ...summary } }]);
  log.info(
    {
      active: summary.active.length,
      incompatible: summary.incompatible.length,
      invalid: summary.invalid.length,
    },
    'extension-host started',
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
