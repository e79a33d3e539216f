import { ref, watchEffect } from 'vue';
import { useInboxStore } from '../stores/inbox.store';

export const APP_TITLE = 'Codex Manager';

/** The current page's name (`meta.title` of its route, set by the router); null on pages without one. */
export const pageTitle = ref<string | null>(null);

/** `(3) Inbox · Codex Manager`: what waits in the inbox (when anything does), the page, the app. */
export function documentTitle(waiting: number, page: string | null): string {
  const name = page ? `${page} · ${APP_TITLE}` : APP_TITLE;
  return waiting > 0 ? `(${waiting > 999 ? '999+' : waiting}) ${name}` : name;
}

/** Keeps `document.title` on the page and the inbox count, so a background tab shows what waits. */
export function useDocumentTitle(): void {
  const inbox = useInboxStore();
  watchEffect(() => {
    document.title = documentTitle(inbox.counts.total, pageTitle.value);
  });
}
