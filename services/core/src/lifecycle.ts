import type { Logger } from './logger';

/**
 * Shutdown in one place: components register a release function as they start; `releaseAll` runs
 * them newest first and rethrows the first error after running all of them.
 */
export class Releasers {
  #list: { name: string; fn: () => unknown }[] = [];

  add(name: string, fn: () => unknown): void {
    this.#list.push({ name, fn });
  }

  async releaseAll(log?: Logger): Promise<void> {
    let first: unknown;
    while (this.#list.length > 0) {
      const { name, fn } = this.#list.pop()!;
      try {
        await fn();
      } catch (e) {
        log?.error({ err: (e as Error).message, component: name }, 'release failed');
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
}

/**
 * SIGINT/SIGTERM trigger `shutdown` once; a second signal exits at once with code 130.
 * SIGPIPE is ignored by Node already; nothing else is handled.
 */
export function onShutdownSignal(shutdown: (signal: string) => Promise<void>, log?: Logger): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log?.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    log?.info({ signal }, 'shutting down');
    shutdown(signal).then(
      () => process.exit(0),
      (e) => {
        log?.error({ err: (e as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
