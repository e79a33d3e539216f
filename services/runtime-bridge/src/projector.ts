import type { NewEvent } from '@codex-manager/core';
import {
  SESSION_PROJECTIONS,
  sessionUpdates,
  type Projection,
  type SessionPatch,
  type Statement,
} from './session-projection';

/** Read-model updates keyed by runtime method; each area contributes its own table. */
const PROJECTIONS: Record<string, Projection> = {
  ...SESSION_PROJECTIONS,
};

/**
 * Read models (sessions, turns) derived from runtime notifications, written in the same transaction
 * as the events themselves. Lists and health never need to call the runtime. Returns the writes in
 * event order, then one UPDATE per session merging the batch's changes to its row; none for a
 * batch that changes no read model.
 */
export function projectEvents(events: NewEvent[]): Statement[] {
  const writes: Statement[] = [];
  const patches: SessionPatch[] = [];
  for (const e of events) {
    const method = e.data.method;
    if (typeof method !== 'string' || !e.threadId) continue;
    const params = (e.data.params ?? {}) as Record<string, unknown>;
    const project = PROJECTIONS[method];
    if (!project) continue;
    for (const w of project(e.threadId, params, e)) {
      if ('patch' in w) patches.push(w.patch);
      else writes.push(w);
    }
  }
  // A session's row changes only in the columns its patch names, whatever else the batch writes.
  return [...writes, ...sessionUpdates(patches)];
}
