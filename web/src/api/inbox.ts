import { newKey, type ApiClient } from './client';
import type { InboxKind, InboxPage, UsageGroupBy, UsageReport } from './types';

const enc = encodeURIComponent;

/** The inbox and usage routes (docs/api.md "Inbox" and "Usage"). */
export const inboxApi = (api: ApiClient) => ({
  list: (q: { kinds?: InboxKind[]; cursor?: string | null; limit?: number } = {}) =>
    api.get<InboxPage>('/inbox', {
      kind: q.kinds?.length ? q.kinds.join(',') : undefined,
      cursor: q.cursor ?? undefined,
      limit: q.limit,
    }),
  /** Item ids hold ':' (`turn:<session>:<turn>`): always encoded. */
  dismiss: (id: string, key = newKey()) =>
    api.request<{ id: string; dismissed: boolean }>('POST', `/inbox/${enc(id)}/dismiss`, undefined, {
      idempotencyKey: key,
    }),
  usage: (q: { groupBy: UsageGroupBy; from?: string; to?: string; limit?: number }) =>
    api.get<UsageReport>('/usage', q),
});

export type InboxApi = ReturnType<typeof inboxApi>;
