import type { ApiClient } from './client';
import type { Extension, Health, Job } from './types';

const enc = encodeURIComponent;

export const systemApi = (api: ApiClient) => ({
  /** 503 still carries the health body: it says what is missing. */
  health: () => api.get<Health>('/health'),
  jobs: (q: { status?: string; sessionId?: string; type?: string; cursor?: string | null } = {}) =>
    api.get<{ jobs: Job[]; nextCursor?: string | null }>('/jobs', { ...q, cursor: q.cursor ?? undefined }),
  cancelJob: (id: string) => api.request<{ job: Job }>('POST', `/jobs/${enc(id)}/cancel`),
  retryJob: (id: string) => api.request<{ job: Job }>('POST', `/jobs/${enc(id)}/retry`),
  extensions: () => api.get<{ extensions: Extension[]; host?: { up: boolean } }>('/extensions'),
  reloadExtensions: () => api.request<{ reload: unknown }>('POST', '/extensions/reload'),
  extensionAudit: () =>
    api.get<{
      reloads: {
        id: string;
        status: string;
        requestedBy?: string;
        source?: string;
        error?: unknown;
        createdAt: string;
      }[];
    }>('/extensions/audit', { limit: 20 }),
});

export type SystemApi = ReturnType<typeof systemApi>;
