import type { InboxItem, InboxPage } from '../src/api/types';

/** Inbox items and pages as `GET /api/inbox` returns them, for store and component tests. */
export const inboxItem = (over: Partial<InboxItem> = {}): InboxItem => ({
  id: 'request:r1',
  kind: 'approval',
  seq: 10,
  createdAt: '2026-01-01T00:00:00Z',
  sessionId: 's1',
  sessionTitle: 'Fix the build',
  projectId: null,
  turnId: 't1',
  title: 'Run: npm test',
  requestId: 'r1',
  jobId: null,
  detail: {
    requestKind: 'commandApproval',
    command: 'npm test',
    cwd: '/work',
    decisions: ['accept', 'decline', 'cancel'],
  },
  actions: ['decide'],
  ...over,
});

export const page = (
  items: InboxItem[],
  total = items.length,
  byKind: InboxPage['counts']['byKind'] = {},
) => ({
  items,
  nextCursor: null,
  counts: { total, byKind },
});
