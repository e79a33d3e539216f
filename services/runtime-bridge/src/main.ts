import { CommandBus, EventLog, bootService, codexHomeOf } from '@codex-manager/core';
import { resolveCodexBinary } from './app-server/codex-bin';
import { prepareCodexHome } from './codex-home';
import { Bridge } from './bridge';
import { CommandExecutor } from './command-executor';
import { COMMAND_HANDLERS } from './commands';
import { EventAppender } from './event-appender';
import { projectEvents } from './projector';
import { Reconciler } from './reconciler';
import { RuntimeMethods } from './runtime-methods';
import { requestCommandHandlers } from './requests/commands';
import { RequestLedger } from './requests/ledger';
import { RuntimeSupervisor } from './supervisor';
import { TraceIndex } from './trace-index';

async function main(): Promise<void> {
  const { config, log, pool, notifier, heartbeat, releasers } = await bootService('runtime-bridge');
  const events = new EventLog(pool);
  const bus = new CommandBus(pool, notifier);
  const reconciler = new Reconciler(pool, events, log);
  const traces = new TraceIndex();
  const codexHome = codexHomeOf(config);
  for (const step of prepareCodexHome({
    codexHome,
    demoModelUrl: config.demoModelUrl,
    authSource: config.codexAuthSource,
  })) {
    log.info({ codexHome }, step);
  }

  // Whatever the previous bridge left behind cannot finish any more.
  await reconciler.interruptOrphanedTurns('the runtime-bridge restarted during the turn');
  await reconciler.failAbandonedCommands(heartbeat.instanceId, config.heartbeatStaleMs);

  const codex = resolveCodexBinary(config.codexBin);
  const supervisor = new RuntimeSupervisor({ codex, codexHome, log });
  const methods = new RuntimeMethods({ bin: codex.bin, codexHome, log });
  const appender = new EventAppender(events, projectEvents, config.eventBatchWindowMs, log, {
    coalesce: config.coalesceDeltas,
    holdMs: config.eventHoldMs,
  });
  const requests = new RequestLedger({ pool, events, appender, traces, log });
  // No app-server is alive yet: every request an earlier one asked can no longer be answered.
  await requests.expireDead('the runtime-bridge restarted before the request was answered');
  const executor = new CommandExecutor(
    bus,
    notifier,
    supervisor,
    traces,
    heartbeat.instanceId,
    log,
    { db: pool, methods },
    { ...COMMAND_HANDLERS, ...requestCommandHandlers(requests) },
  );
  new Bridge({
    supervisor,
    executor,
    appender,
    events,
    reconciler,
    requests,
    heartbeat,
    traces,
    codexHome,
    env: process.env,
    log,
  }).attach();

  // Bounded: with the database gone at shutdown, waiting longer would only delay the exit.
  releasers.add('appender', () =>
    Promise.race([appender.drain(), new Promise((r) => setTimeout(r, 5000).unref())]),
  );
  // Runs after the app-server has stopped: its questions can no longer be answered.
  releasers.add('expire-requests', () =>
    Promise.race([
      requests.expireDead('the runtime-bridge stopped before the request was answered'),
      new Promise((r) => setTimeout(r, 5000).unref()),
    ]),
  );
  await supervisor.start();
  releasers.add('supervisor', () => supervisor.stop());
  // Read the method table off the startup path: until it is known, no method is refused.
  setTimeout(() => void methods.table(), 3000).unref();
  await executor.start();
  releasers.add('executor', () => executor.stop());
  requests.start();
  releasers.add('requests', () => requests.stop());
  await heartbeat.set('running');
  log.info({ codexHome }, 'runtime-bridge started');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
