import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { InboxItem, StreamEvent } from '../api/types';
import { deps, storage } from '../deps';
import { useConnectionStore } from './connection.store';

export const NOTIFY_KEY = 'codex-manager.notifications';

const KIND_PREFIX: Record<string, string> = {
  approval: 'Approval needed',
  question: 'Codex asks',
  toolCall: 'Tool call waiting',
  failedTurn: 'Turn failed',
  longTurn: 'Long turn finished',
  failedJob: 'Job failed',
};

/**
 * Opt-in browser notifications: one for each new inbox item while the tab is hidden. Off until the
 * user turns it on (the choice is kept in localStorage); permission is asked only then. A
 * notification closes when its item leaves the inbox, and a click opens the item's chat.
 */
export const useNotificationsStore = defineStore('notifications', () => {
  const permission = ref(deps().notifier.permission());
  const enabled = ref(storage()?.getItem(NOTIFY_KEY) === 'on' && permission.value === 'granted');
  const error = ref<string | null>(null);
  const shown = new Map<string, { close(): void }>();
  /** Set by the app: how to open an item (the router lives there). */
  let opener: ((item: InboxItem) => void) | null = null;

  function save(on: boolean): void {
    try {
      if (on) storage()?.setItem(NOTIFY_KEY, 'on');
      else storage()?.removeItem(NOTIFY_KEY);
    } catch {
      /* private mode: the choice lasts for this page */
    }
  }

  async function setEnabled(on: boolean): Promise<void> {
    error.value = null;
    if (!on) {
      enabled.value = false;
      save(false);
      return;
    }
    const n = deps().notifier;
    let p = n.permission();
    if (p === 'unsupported') {
      error.value = 'This browser cannot show notifications.';
      return;
    }
    if (p !== 'granted') p = await n.request();
    permission.value = p;
    if (p !== 'granted') {
      error.value =
        p === 'denied'
          ? 'Notifications are blocked for this site: allow them in the browser’s site settings.'
          : 'Notifications were not allowed.';
      enabled.value = false;
      save(false);
      return;
    }
    enabled.value = true;
    save(true);
  }

  function onOpen(fn: (item: InboxItem) => void): void {
    opener = fn;
  }

  function apply(e: StreamEvent): void {
    if (e.type === 'inbox.removed') {
      const id = (e.data as { id?: string }).id;
      if (id) shown.get(id)?.close();
      if (id) shown.delete(id);
      return;
    }
    if (e.type !== 'inbox.added' || !enabled.value) return;
    const n = deps().notifier;
    const item = (e.data as { item?: InboxItem }).item;
    if (!item || !n.hidden() || n.permission() !== 'granted') return;
    const title = `${KIND_PREFIX[item.kind] ?? 'Needs you'}: ${item.title}`;
    const body = item.sessionTitle ?? (item.jobId ? 'Background job' : '');
    const handle = n.show(title, { body, tag: item.id }, () => opener?.(item));
    if (handle) shown.set(item.id, handle);
  }

  useConnectionStore().subscribe((events) => events.forEach(apply));

  return { enabled, permission, error, setEnabled, onOpen, apply };
});
