import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { errorMessage } from '../api/client';
import type { CreateSessionBody } from '../api/sessions';
import type { Session, StreamEvent } from '../api/types';
import { deps } from '../deps';
import { useConnectionStore } from './connection.store';

export type ArchivedFilter = 'false' | 'true';

/**
 * The sidebar's chats: normalised by id with the list order kept separately, filtered by search text,
 * project and archive state on the server, paged with its cursor. Stream events keep it current:
 * status changes apply at once, anything that changes order or membership re-reads the first page.
 */
export const useSessionsStore = defineStore('sessions', () => {
  const byId = ref<Record<string, Session>>({});
  const order = ref<string[]>([]);
  const nextCursor = ref<string | null>(null);
  const q = ref('');
  const archived = ref<ArchivedFilter>('false');
  const projectId = ref<string | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let generation = 0;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;

  const sessions = computed(() => order.value.map((id) => byId.value[id]!).filter(Boolean));

  function query() {
    return {
      q: q.value.trim() || undefined,
      archived: archived.value,
      projectId: projectId.value ?? undefined,
      limit: 50,
    };
  }

  async function load(): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    try {
      const res = await deps().sessions.list(query());
      if (gen !== generation) return;
      for (const s of res.sessions) byId.value[s.id] = s;
      order.value = res.sessions.map((s) => s.id);
      nextCursor.value = res.nextCursor ?? null;
      error.value = null;
    } catch (e) {
      if (gen === generation) error.value = errorMessage(e);
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value) return;
    const gen = generation;
    try {
      const res = await deps().sessions.list({ ...query(), cursor: nextCursor.value });
      if (gen !== generation) return;
      for (const s of res.sessions) byId.value[s.id] = s;
      order.value = [
        ...order.value,
        ...res.sessions.map((s) => s.id).filter((id) => !order.value.includes(id)),
      ];
      nextCursor.value = res.nextCursor ?? null;
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  function setFilter(f: { q?: string; archived?: ArchivedFilter; projectId?: string | null }): Promise<void> {
    if (f.q !== undefined) q.value = f.q;
    if (f.archived !== undefined) archived.value = f.archived;
    if (f.projectId !== undefined) projectId.value = f.projectId;
    return load();
  }

  function put(s: Session): void {
    byId.value[s.id] = s;
  }

  async function create(body: CreateSessionBody = {}): Promise<Session> {
    const { session } = await deps().sessions.create(body);
    put(session);
    if (!order.value.includes(session.id)) order.value = [session.id, ...order.value];
    return session;
  }

  async function rename(id: string, title: string): Promise<void> {
    put((await deps().sessions.rename(id, title)).session);
  }

  async function setArchived(id: string, value: boolean): Promise<void> {
    const { session } = value ? await deps().sessions.archive(id) : await deps().sessions.unarchive(id);
    put(session);
    order.value = order.value.filter((x) => x !== id);
  }

  async function remove(id: string): Promise<void> {
    await deps().sessions.remove(id);
    order.value = order.value.filter((x) => x !== id);
    delete byId.value[id];
  }

  async function move(id: string, toProject: string | null): Promise<void> {
    const from = byId.value[id]?.projectId ?? null;
    const { session } = toProject
      ? await deps().projects.assign(toProject, id)
      : await deps().projects.unassign(from!, id);
    put(session);
    if (projectId.value && session.projectId !== projectId.value)
      order.value = order.value.filter((x) => x !== id);
  }

  function scheduleRefresh(): void {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      void load();
    }, 300);
  }

  function onEvents(events: StreamEvent[]): void {
    for (const e of events) {
      const id = e.threadId;
      if (e.type === 'runtime.thread.status.changed' && id && byId.value[id]) {
        const status = (e.data.params as { status?: { type?: string } } | undefined)?.status?.type;
        if (status) byId.value[id] = { ...byId.value[id]!, status };
      }
      if (
        e.type.startsWith('session.') ||
        e.type === 'runtime.turn.started' ||
        e.type === 'runtime.turn.completed' ||
        e.type === 'runtime.thread.name.updated'
      )
        scheduleRefresh();
    }
  }

  useConnectionStore().subscribe(onEvents);

  return {
    byId,
    order,
    sessions,
    nextCursor,
    q,
    archived,
    projectId,
    loading,
    error,
    load,
    loadMore,
    setFilter,
    create,
    rename,
    setArchived,
    remove,
    move,
    put,
  };
});
