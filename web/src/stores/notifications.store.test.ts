import { createPinia, setActivePinia } from 'pinia';
import type { Notifier } from '../deps';
import type { StreamEvent } from '../api/types';
import { fakeWorld, type FakeWorld } from '../../test/fakes';
import { inboxItem } from '../../test/inbox-fixtures';
import { useConnectionStore } from './connection.store';
import { NOTIFY_KEY, useNotificationsStore } from './notifications.store';

/** A browser's notification API, played by the test: permission, visibility, what was shown. */
class FakeNotifier implements Notifier {
  state: NotificationPermission = 'default';
  answer: NotificationPermission = 'granted';
  isHidden = true;
  requests = 0;
  shown: { title: string; body?: string; tag?: string; closed: boolean; click?: () => void }[] = [];
  permission = () => this.state;
  request = async () => {
    this.requests++;
    this.state = this.answer;
    return this.state;
  };
  show = (title: string, opts: { body?: string; tag?: string }, onClick?: () => void) => {
    const n = { title, ...opts, closed: false, click: onClick };
    this.shown.push(n);
    return { close: () => (n.closed = true) };
  };
  hidden = () => this.isHidden;
}

let world: FakeWorld;
let notifier: FakeNotifier;
let seq = 0;
beforeEach(() => {
  localStorage.clear();
  world = fakeWorld();
  notifier = new FakeNotifier();
  world.deps.notifier = notifier;
  setActivePinia(createPinia());
});

const item = inboxItem();
const addedEv = (over = {}): StreamEvent => ({
  seq: ++seq,
  ts: '',
  type: 'inbox.added',
  threadId: 's1',
  source: 'gateway',
  data: { item: { ...item, ...over } },
});

function connect() {
  useConnectionStore().connect();
  world.main().serverConnect({ head: 0, cursor: 0 });
}

describe('browser notifications', () => {
  it('are off, and ask for nothing, until turned on', () => {
    const store = useNotificationsStore();
    connect();
    world.main().serverEvents([addedEv()]);
    expect(store.enabled).toBe(false);
    expect(notifier.requests).toBe(0);
    expect(notifier.shown).toEqual([]);
  });

  it('ask permission when turned on, then notify of new items only while the tab is hidden', async () => {
    const store = useNotificationsStore();
    const opened: string[] = [];
    store.onOpen((i) => opened.push(i.id));
    connect();
    await store.setEnabled(true);
    expect(notifier.requests).toBe(1);
    expect(localStorage.getItem(NOTIFY_KEY)).toBe('on');
    world.main().serverEvents([addedEv()]);
    expect(notifier.shown).toEqual([
      expect.objectContaining({
        title: 'Approval needed: Run: npm test',
        body: 'Fix the build',
        tag: 'request:r1',
      }),
    ]);
    notifier.shown[0]!.click!();
    expect(opened).toEqual(['request:r1']);
    notifier.isHidden = false;
    world.main().serverEvents([addedEv({ id: 'request:r2' })]);
    expect(notifier.shown).toHaveLength(1);
    // The item was answered elsewhere: its notification goes away.
    world.main().serverEvents([
      {
        seq: ++seq,
        ts: '',
        type: 'inbox.removed',
        source: 'gateway',
        data: { id: 'request:r1', kind: 'approval', reason: 'resolved' },
      },
    ]);
    expect(notifier.shown[0]!.closed).toBe(true);
  });

  it('stay off and say so when the browser refuses', async () => {
    notifier.answer = 'denied';
    const store = useNotificationsStore();
    await store.setEnabled(true);
    expect(store.enabled).toBe(false);
    expect(store.error).toMatch(/blocked/);
    expect(localStorage.getItem(NOTIFY_KEY)).toBeNull();
  });

  it('remember the choice across reloads, and forget it when turned off', async () => {
    notifier.state = 'granted';
    localStorage.setItem(NOTIFY_KEY, 'on');
    const store = useNotificationsStore();
    expect(store.enabled).toBe(true);
    await store.setEnabled(false);
    expect(localStorage.getItem(NOTIFY_KEY)).toBeNull();
    setActivePinia(createPinia());
    expect(useNotificationsStore().enabled).toBe(false);
  });
});
