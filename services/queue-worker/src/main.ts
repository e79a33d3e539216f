import { bootService } from '@codex-manager/core';

/**
 * The queue-worker connects, heartbeats and stops cleanly. Its work (see docs/architecture.md) arrives with
 * the queue and extension capabilities.
 */
async function main(): Promise<void> {
  const { log, heartbeat } = await bootService('queue-worker');
  await heartbeat.set('running');
  log.info('queue-worker started');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
