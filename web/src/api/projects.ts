import type { ApiClient } from './client';
import type { Project, Session } from './types';

const enc = encodeURIComponent;

export const projectsApi = (api: ApiClient) => ({
  list: () => api.get<{ projects: Project[] }>('/projects'),
  create: (name: string) => api.request<{ project: Project }>('POST', '/projects', { name }),
  rename: (id: string, name: string) =>
    api.request<{ project: Project }>('PATCH', `/projects/${enc(id)}`, { name }),
  remove: (id: string) => api.request<{ id: string }>('DELETE', `/projects/${enc(id)}`),
  assign: (id: string, sessionId: string) =>
    api.request<{ session: Session }>('PUT', `/projects/${enc(id)}/sessions/${enc(sessionId)}`),
  unassign: (id: string, sessionId: string) =>
    api.request<{ session: Session }>('DELETE', `/projects/${enc(id)}/sessions/${enc(sessionId)}`),
});

export type ProjectsApi = ReturnType<typeof projectsApi>;
