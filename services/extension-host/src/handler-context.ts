import type { Actions, Logger } from '@codex-manager/core';

/** The second argument of every handler. */
export interface HandlerContext {
  extension: { name: string; version: string };
  /** The typed action API, acting as `extension:<name>`; undeclared capabilities obey the trust mode. */
  actions: Actions;
  log: Logger;
  /** Aborted when the handler's time is up: stop work and return. */
  signal: AbortSignal;
}
