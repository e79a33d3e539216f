import {
  Actions,
  BUILTIN_JOB_TYPES,
  CommandBus,
  EventLog,
  JobLifecycle,
  JobQueue,
  sqlActionBackends,
  bootService,
} from '@codex-manager/core';
import { JobRunner } from './job-runner';
import { jobActor } from './job-actor';
import { instructionJob } from './jobs/instruction';
import { suggestRequestJob } from './jobs/suggest-request';
import { webhookDeliveryJob } from './jobs/webhook-delivery';
import { Recovery } from './recovery';
import { TurnWatcher } from './turn-watcher';
import { WorkerSessions } from './worker-sessions';
import { WorkerTurns } from './worker-turns';

async function main(): Promise<void> {
  const { config, log, pool, notifier, heartbeat, releasers } = await bootService('queue-worker');
  if (!config.queueEnabled) {
    await heartbeat.set('disabled', { queue: { enabled: false } });
    log.info('queue-worker started with the queue turned off (CM_QUEUE_ENABLED=false)');
    return;
  }
  const events = new EventLog(pool);
  const bus = new CommandBus(pool, notifier);
  await bus.start();
  releasers.add('command-bus', () => bus.stop());
  const queue = await JobQueue.start({
    pool,
    types: BUILTIN_JOB_TYPES,
    enabled: true,
    maxPending: config.queueMaxPending,
    source: 'queue-worker',
    supervise: true,
    log,
  });
  releasers.add('queue', () => queue.stop());

  const watcher = new TurnWatcher(pool, notifier, log);
  await watcher.start();
  releasers.add('turn-watcher', () => watcher.stop());
  const sessions = new WorkerSessions(
    pool,
    bus,
    events,
    {
      defaultCwd: config.defaultCwd,
      commandTimeoutMs: config.commandTimeoutMs,
    },
    log,
  );
  const turns = new WorkerTurns(pool, sessions, bus, events, watcher, config.commandTimeoutMs, log);
  const backends = {
    pool,
    bus,
    queue,
    ...sqlActionBackends(pool, bus, {
      commandTimeoutMs: config.commandTimeoutMs,
      lockDefaults: config.lockDefaults,
    }),
    commandTimeoutMs: config.commandTimeoutMs,
  };
  const lifecycle = new JobLifecycle(pool, queue.boss!, events, heartbeat.instanceId);

  const recovery = new Recovery(lifecycle, turns, config.heartbeatStaleMs, log);
  await recovery.start();
  releasers.add('recovery', () => recovery.stop());
  const runner = new JobRunner({
    lifecycle,
    notifier,
    handlers: {
      instruction: instructionJob(turns),
      'suggest-request': suggestRequestJob(pool, turns),
      'webhook-delivery': webhookDeliveryJob(pool, config.webhooks),
    },
    actionsFor: (job) => new Actions(backends, { actor: jobActor(job), source: 'queue-worker' }),
    concurrency: config.queueConcurrency,
    log,
  });
  await runner.start();
  releasers.add('runner', () => runner.stop());
  await heartbeat.set('running', { queue: { enabled: true, concurrency: config.queueConcurrency } });
  log.info({ concurrency: config.queueConcurrency }, 'queue-worker started');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
