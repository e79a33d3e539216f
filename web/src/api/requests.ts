import { newKey, type ApiClient } from './client';
import type { InteractiveRequest } from './types';

const enc = encodeURIComponent;
type Decided = { status: 'resolved' | 'already_resolved'; request: InteractiveRequest };

/** Approvals, questions and tool calls (docs/api.md "Interactive requests"). */
export const requestsApi = (api: ApiClient) => ({
  approvals: (sessionId: string) =>
    api.get<{ requests: InteractiveRequest[] }>(`/sessions/${enc(sessionId)}/approvals`, { status: 'all' }),
  questions: (sessionId: string) =>
    api.get<{ requests: InteractiveRequest[] }>(`/sessions/${enc(sessionId)}/tool-input`, { status: 'all' }),
  /** The key makes a double click (or a retry after a dropped answer) one decision. */
  decide: (id: string, decision: string, key = newKey()) =>
    api.request<Decided>('POST', `/approvals/${enc(id)}/decision`, { decision }, { idempotencyKey: key }),
  answer: (id: string, answers: Record<string, string[]>, key = newKey()) =>
    api.request<Decided>('POST', `/tool-input/${enc(id)}/decision`, { answers }, { idempotencyKey: key }),
  /** Answers a dynamic tool call nobody serves, as the user (the text is the tool's output). */
  respond: (id: string, text: string, success = true, key = newKey()) =>
    api.request<Decided>(
      'POST',
      `/tool-calls/${enc(id)}/response`,
      { contentItems: [{ type: 'inputText', text }], success },
      { idempotencyKey: key },
    ),
});

export type RequestsApi = ReturnType<typeof requestsApi>;
