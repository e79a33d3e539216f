import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, errorMessage } from '../api/client';
import type { InboxCounts, InboxItem, InboxKind, StreamEvent } from '../api/types';
import { deps } from '../deps';
import { useConnectionStore } from './connection.store';

export const INBOX_KINDS: InboxKind[] = [
  'approval',
  'question',
  'toolCall',
  'failedTurn',
  'longTurn',
  'failedJob',
];

const PAGE = 50;
const emptyCounts = (): InboxCounts => ({ total: 0, byKind: {} });

/**
 * Everything that needs a person, across sessions (`GET /api/inbox`), kept current by the
 * `inbox.added` / `inbox.removed` events of the one socket. `counts` (the badge) starts from the
 * server's counts and follows the events: an item is counted in once and out once (`gone` remembers
 * what left, so an own action and its event do not both count it out). Reads that overlap events
 * cannot tell whether the server counted them, so the counts are re-read after such a read.
 */
export const useInboxStore = defineStore('inbox', () => {
  const byId = ref<Record<string, InboxItem>>({});
  const counts = ref<InboxCounts>(emptyCounts());
  /** The kinds shown (empty: all); the list route filters by them, the counts do not. */
  const kinds = ref<InboxKind[]>([]);
  const nextCursor = ref<string | null>(null);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** Whether this gateway has the inbox routes (older ones do not). */
  const available = ref(true);
  const busy = ref<Record<string, boolean>>({});
  const errors = ref<Record<string, string>>({});
  /** What happened to the last item acted on when it was not what the user asked for. */
  const notice = ref<string | null>(null);
  const gone = new Set<string>();
  let generation = 0;
  /** One map per read in flight: the inbox events seen meanwhile, by id (the read may or may not include them). */
  const overlapping = new Set<Map<string, InboxItem | null>>();
  const watch = () => {
    const seen = new Map<string, InboxItem | null>();
    overlapping.add(seen);
    return seen;
  };

  const items = computed(() =>
    Object.values(byId.value)
      .filter((i) => kinds.value.length === 0 || kinds.value.includes(i.kind))
      .sort((a, b) => b.seq - a.seq),
  );

  function bump(kind: InboxKind, by: 1 | -1): void {
    const c = counts.value;
    c.total = Math.max(0, c.total + by);
    c.byKind[kind] = Math.max(0, (c.byKind[kind] ?? 0) + by);
  }

  function added(item: InboxItem): void {
    gone.delete(item.id);
    overlapping.forEach((m) => m.set(item.id, item));
    if (!byId.value[item.id]) bump(item.kind, 1);
    byId.value[item.id] = item;
  }

  function removed(id: string, kind: InboxKind): void {
    overlapping.forEach((m) => m.set(id, null));
    if (gone.has(id)) return;
    gone.add(id);
    // An item not on a page read so far was counted by the server all the same.
    delete byId.value[id];
    bump(kind, -1);
  }

  /** After an own action succeeded: the item leaves now unless it came back meanwhile (a job failed again). */
  function settle(id: string, seq: number): void {
    const have = byId.value[id];
    if (have && have.seq === seq) removed(id, have.kind);
  }

  async function read(cursor: string | null): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    const seen = watch();
    try {
      const page = await deps().inbox.list({ kinds: kinds.value, cursor, limit: PAGE });
      if (gen !== generation) return;
      const next: Record<string, InboxItem> = cursor ? { ...byId.value } : {};
      for (const item of page.items) if (!gone.has(item.id)) next[item.id] = item;
      // Events that overlapped the read win over it (they are newer than or as new as the snapshot).
      for (const [id, item] of seen)
        if (item) next[id] = item;
        else delete next[id];
      byId.value = next;
      nextCursor.value = page.nextCursor;
      if (!cursor) counts.value = { total: page.counts.total, byKind: { ...page.counts.byKind } };
      loaded.value = true;
      available.value = true;
      error.value = null;
      if (seen.size && !cursor) void refreshCounts();
    } catch (e) {
      if (gen !== generation) return;
      if (e instanceof ApiError && e.status === 404 && /route/i.test(e.message)) available.value = false;
      else error.value = errorMessage(e);
    } finally {
      overlapping.delete(seen);
      if (gen === generation) loading.value = false;
    }
  }

  /** Counts only (one item read), repeated while events keep overlapping it (bounded). */
  async function refreshCounts(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      const seen = watch();
      try {
        const page = await deps().inbox.list({ limit: 1 });
        if (seen.size === 0) {
          counts.value = { total: page.counts.total, byKind: { ...page.counts.byKind } };
          return;
        }
      } catch {
        return;
      } finally {
        overlapping.delete(seen);
      }
    }
  }

  const load = () => read(null);
  const loadMore = () => (nextCursor.value ? read(nextCursor.value) : Promise.resolve());

  function setKinds(next: InboxKind[]): Promise<void> {
    kinds.value = [...next];
    return load();
  }

  async function act(item: InboxItem, call: () => Promise<unknown>): Promise<boolean> {
    if (busy.value[item.id]) return false;
    busy.value[item.id] = true;
    delete errors.value[item.id];
    notice.value = null;
    try {
      await call();
      settle(item.id, item.seq);
      return true;
    } catch (e) {
      const status = e instanceof ApiError ? e.status : 0;
      // 409/410 on a request: someone else decided it, or it expired: it is no longer waiting.
      // 404 on a dismiss: it already left. The item goes; the notice says why.
      if ((item.requestId && (status === 409 || status === 410)) || status === 404) {
        notice.value = `${item.title}: ${errorMessage(e)}`;
        settle(item.id, item.seq);
      } else errors.value[item.id] = errorMessage(e);
      return false;
    } finally {
      delete busy.value[item.id];
    }
  }

  const decide = (item: InboxItem, decision: string) =>
    act(item, () => deps().requests.decide(item.requestId!, decision));
  const answer = (item: InboxItem, answers: Record<string, string[]>) =>
    act(item, () => deps().requests.answer(item.requestId!, answers));
  const respond = (item: InboxItem, text: string, success: boolean) =>
    act(item, () => deps().requests.respond(item.requestId!, text, success));
  const retry = (item: InboxItem) => act(item, () => deps().system.retryJob(item.jobId!));
  const dismiss = (item: InboxItem) => act(item, () => deps().inbox.dismiss(item.id));

  function apply(e: StreamEvent): void {
    if (e.type === 'inbox.added') {
      const item = (e.data as { item?: InboxItem }).item;
      if (item?.id) added(item);
    } else if (e.type === 'inbox.removed') {
      const d = e.data as { id?: string; kind?: InboxKind };
      if (d.id) removed(d.id, d.kind ?? byId.value[d.id]?.kind ?? 'approval');
    }
  }

  const connection = useConnectionStore();
  connection.subscribe((events) => events.forEach(apply));
  // The stream could not resume (cursor older than the retained log): read everything again.
  connection.onReset(() => void (loaded.value ? load() : undefined));

  return {
    byId,
    items,
    counts,
    kinds,
    nextCursor,
    loaded,
    loading,
    error,
    available,
    busy,
    errors,
    notice,
    load,
    loadMore,
    setKinds,
    refreshCounts,
    apply,
    decide,
    answer,
    respond,
    retry,
    dismiss,
  };
});
