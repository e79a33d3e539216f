import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError, errorMessage } from '../api/client';
import type { InteractiveRequest, StreamEvent } from '../api/types';
import { deps } from '../deps';
import { useConnectionStore } from './connection.store';

const RANK: Record<InteractiveRequest['status'], number> = { pending: 0, resolved: 1, expired: 1 };

/**
 * Approvals and questions, normalised by id across sessions. Filled from the per-session list routes
 * and kept current by `request.*` events; a list read never downgrades a request an event already
 * resolved (the read may have started before the decision). `submitting` guards the one decision a
 * card may send; the server makes it exactly-once anyway.
 */
export const useRequestsStore = defineStore('requests', () => {
  const byId = ref<Record<string, InteractiveRequest>>({});
  const submitting = ref<Record<string, boolean>>({});
  const errors = ref<Record<string, string>>({});
  /** Whether this gateway has the interactive-request routes (older ones do not). */
  const available = ref(true);

  function upsert(r: InteractiveRequest): void {
    const have = byId.value[r.id];
    if (have && RANK[have.status] > RANK[r.status]) return;
    byId.value[r.id] = r;
  }

  async function load(sessionId: string): Promise<void> {
    if (!available.value) return;
    try {
      const [a, q] = await Promise.all([
        deps().requests.approvals(sessionId),
        deps().requests.questions(sessionId),
      ]);
      for (const r of [...a.requests, ...q.requests]) upsert(r);
      available.value = true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && e.code === 'not_found' && /route/i.test(e.message))
        available.value = false;
    }
  }

  function forSession(sessionId: string): InteractiveRequest[] {
    return Object.values(byId.value)
      .filter(
        (r) =>
          r.sessionId === sessionId &&
          (r.kind === 'commandApproval' || r.kind === 'fileChangeApproval' || r.kind === 'userInput'),
      )
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  function apply(e: StreamEvent): void {
    const d = e.data as Record<string, unknown>;
    const id = d.requestId as string | undefined;
    if (!id || !e.type.startsWith('request.')) return;
    const have = byId.value[id];
    if (e.type === 'request.created') {
      if (have) return;
      byId.value[id] = {
        id,
        kind: d.kind as InteractiveRequest['kind'],
        method: String(d.method ?? ''),
        sessionId: e.threadId ?? '',
        turnId: e.turnId ?? null,
        itemId: e.itemId ?? null,
        status: 'pending',
        params: (d.params as Record<string, unknown>) ?? {},
        decisions: (d.decisions as string[] | null) ?? null,
        decision: null,
        resolvedBy: null,
        resolvedAt: null,
        createdAt: e.ts,
      };
    } else if (e.type === 'request.resolved' && have) {
      byId.value[id] = {
        ...have,
        status: 'resolved',
        decision: (d.decision as string | null) ?? have.decision,
        response: d.response ?? have.response,
        resolvedBy: (d.resolvedBy as InteractiveRequest['resolvedBy']) ?? have.resolvedBy,
        resolvedAt: e.ts,
      };
    } else if (e.type === 'request.expired' && have) {
      byId.value[id] = { ...have, status: 'expired', expiredReason: (d.reason as string | null) ?? null };
    }
  }

  async function submit(id: string, call: () => Promise<{ request: InteractiveRequest }>): Promise<void> {
    if (submitting.value[id]) return;
    submitting.value[id] = true;
    delete errors.value[id];
    try {
      const out = await call();
      upsert(out.request);
    } catch (e) {
      errors.value[id] = errorMessage(e);
      // 409/410: someone else decided, or it expired. Show the truth.
      if (e instanceof ApiError && (e.status === 409 || e.status === 410)) {
        const sessionId = byId.value[id]?.sessionId;
        if (sessionId) await load(sessionId);
      }
    } finally {
      submitting.value[id] = false;
    }
  }

  const decide = (id: string, decision: string) => submit(id, () => deps().requests.decide(id, decision));
  const answer = (id: string, answers: Record<string, string[]>) =>
    submit(id, () => deps().requests.answer(id, answers));

  useConnectionStore().subscribe((events) => events.forEach(apply));

  return { byId, submitting, errors, available, load, forSession, apply, decide, answer, upsert };
});
