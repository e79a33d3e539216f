import { newKey, type ApiClient } from './client';
import type {
  ApprovalPolicy,
  Controls,
  SandboxMode,
  Session,
  SessionControls,
  SessionDetail,
  SessionList,
  Model,
} from './types';

export interface ListSessionsQuery {
  q?: string;
  projectId?: string;
  archived?: 'false' | 'true' | 'all';
  cursor?: string | null;
  limit?: number;
}

export interface CreateSessionBody {
  title?: string;
  cwd?: string;
  projectId?: string;
  model?: string;
  approvalPolicy?: ApprovalPolicy;
  sandbox?: SandboxMode;
  networkAccess?: boolean;
}

export interface SendOptions {
  /** Plan mode lets the model stop and ask questions (user-input requests). */
  plan?: boolean;
}

/** Per-turn collaboration mode: `plan` lets the model stop and ask questions. */
export function collaborationMode(opts: SendOptions): 'plan' | undefined {
  return opts.plan ? 'plan' : undefined;
}

export const sessionsApi = (api: ApiClient) => ({
  list: (q: ListSessionsQuery = {}) =>
    api.get<SessionList>('/sessions', { ...q, cursor: q.cursor ?? undefined }),
  get: (id: string) => api.get<SessionDetail>(`/sessions/${encodeURIComponent(id)}`, { transcript: 'true' }),
  create: (body: CreateSessionBody) =>
    api.request<{ session: Session }>('POST', '/sessions', body, { idempotencyKey: newKey() }),
  rename: (id: string, title: string) =>
    api.request<{ session: Session }>('PATCH', `/sessions/${encodeURIComponent(id)}`, { title }),
  archive: (id: string) =>
    api.request<{ session: Session }>('POST', `/sessions/${encodeURIComponent(id)}/archive`),
  unarchive: (id: string) =>
    api.request<{ session: Session }>('POST', `/sessions/${encodeURIComponent(id)}/unarchive`),
  remove: (id: string) =>
    api.request<{ id: string; deleted: boolean }>('DELETE', `/sessions/${encodeURIComponent(id)}`),
  send: (id: string, text: string, opts: SendOptions = {}, key = newKey()) => {
    const body: Record<string, unknown> = { text };
    const mode = collaborationMode(opts);
    if (mode) body.collaborationMode = mode;
    return api.request<{ sessionId: string; turn: { id: string; status: string } }>(
      'POST',
      `/sessions/${encodeURIComponent(id)}/messages`,
      body,
      { idempotencyKey: key },
    );
  },
  steer: (id: string, text: string, expectedTurnId?: string) =>
    api.request<{ sessionId: string; turnId: string }>(
      'POST',
      `/sessions/${encodeURIComponent(id)}/steer`,
      expectedTurnId ? { text, expectedTurnId } : { text },
      { idempotencyKey: newKey() },
    ),
  interrupt: (id: string, turnId?: string) =>
    api.request<{ sessionId: string; turn: { id: string; status: string } }>(
      'POST',
      `/sessions/${encodeURIComponent(id)}/interrupt`,
      turnId ? { turnId } : {},
    ),
  controls: (id: string) => api.get<SessionControls>(`/sessions/${encodeURIComponent(id)}/controls`),
  setControls: (id: string, controls: Partial<Controls>) =>
    api.request<SessionControls>('PUT', `/sessions/${encodeURIComponent(id)}/controls`, {
      controls,
      mode: 'merge',
    }),
  models: () => api.get<{ data?: Model[]; models?: Model[] }>('/models'),
});

export type SessionsApi = ReturnType<typeof sessionsApi>;
