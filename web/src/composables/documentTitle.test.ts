import { createPinia, setActivePinia } from 'pinia';
import { effectScope, nextTick } from 'vue';
import { useInboxStore } from '../stores/inbox.store';
import { APP_TITLE, documentTitle, pageTitle, useDocumentTitle } from './documentTitle';

describe('the tab title', () => {
  it('names the page and, when anything waits, the number of inbox items, capped', () => {
    expect(documentTitle(0, null)).toBe(APP_TITLE);
    expect(documentTitle(0, 'Health')).toBe(`Health · ${APP_TITLE}`);
    expect(documentTitle(3, 'Inbox')).toBe(`(3) Inbox · ${APP_TITLE}`);
    expect(documentTitle(1000, null)).toBe(`(999+) ${APP_TITLE}`);
  });

  it('follows the inbox count and the page', async () => {
    setActivePinia(createPinia());
    const scope = effectScope();
    scope.run(() => useDocumentTitle());
    const inbox = useInboxStore();
    expect(document.title).toBe(APP_TITLE);
    inbox.counts = { total: 2, byKind: { approval: 2 } };
    await nextTick();
    expect(document.title).toBe(`(2) ${APP_TITLE}`);
    pageTitle.value = 'Usage';
    await nextTick();
    expect(document.title).toBe(`(2) Usage · ${APP_TITLE}`);
    inbox.counts = { total: 0, byKind: {} };
    await nextTick();
    expect(document.title).toBe(`Usage · ${APP_TITLE}`);
    scope.stop();
  });
});
