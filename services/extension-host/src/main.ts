import { bootService } from '@codex-manager/core';

/**
 * The extension-host connects, heartbeats and stops cleanly. Its work (see docs/architecture.md) arrives with
 * the queue and extension capabilities.
 */
async function main(): Promise<void> {
  const { log, heartbeat } = await bootService('extension-host');
  await heartbeat.set('running');
  log.info('extension-host started');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
