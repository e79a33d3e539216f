import type { JobRow } from '@codex-manager/core';

/**
 * Provenance of a job's side effects: the extension that enqueued it (`extension:<name>`); a job a
 * person or client asked for directly acts as the built-in extension named after its type
 * (`extension:suggest-request`), so every action records an `extension:` actor.
 */
export const jobActor = (job: JobRow): string =>
  job.requested_by.startsWith('extension:') ? job.requested_by : `extension:${job.type}`;
