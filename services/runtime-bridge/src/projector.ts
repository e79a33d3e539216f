import type { NewEvent, PoolClient } from '@codex-manager/core';
import { SESSION_PROJECTIONS, type Projection } from './session-projection';

/** Read-model updates keyed by runtime method; each area contributes its own table. */
const PROJECTIONS: Record<string, Projection> = {
  ...SESSION_PROJECTIONS,
};

/**
 * Read models (sessions, turns) derived from runtime notifications, written in the same transaction
 * as the events themselves. Lists and health never need to call the runtime.
 */
export async function projectEvents(client: PoolClient, events: NewEvent[]): Promise<void> {
  for (const e of events) {
    const method = e.data.method;
    if (typeof method !== 'string' || !e.threadId) continue;
    const params = (e.data.params ?? {}) as Record<string, unknown>;
    await PROJECTIONS[method]?.(client, e.threadId, params, e);
  }
}
