import { mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, type Router } from 'vue-router';
import { defineComponent } from 'vue';
import type { InboxItem } from '../../api/types';
import { flush, fakeWorld, type FakeWorld } from '../../../test/fakes';
import { inboxItem, page } from '../../../test/inbox-fixtures';
import { useConnectionStore } from '../../stores/connection.store';
import { useInboxStore } from '../../stores/inbox.store';
import InboxPage from './InboxPage.vue';
import { keepSelection, refusal, triageCommand } from './triage';

let world: FakeWorld;
let router: Router;
let wrapper: VueWrapper | null = null;

const approval = inboxItem({ id: 'request:r1', seq: 30 });
const question = inboxItem({
  id: 'request:q1',
  kind: 'question',
  seq: 20,
  requestId: 'q1',
  title: 'Question: Pick a colour',
  detail: {
    questions: [{ id: 'color', question: 'Which colour?', options: [{ label: 'Blue' }, { label: 'Red' }] }],
  },
  actions: ['answer'],
});
const job = inboxItem({
  id: 'job:j1',
  kind: 'failedJob',
  seq: 10,
  sessionId: null,
  sessionTitle: null,
  turnId: null,
  requestId: null,
  jobId: 'j1',
  title: 'Job title failed: turn_failed',
  detail: { jobType: 'title', attempts: 3, error: { message: 'turn_failed' } },
  actions: ['retry', 'dismiss'],
});

async function mountPage(items: InboxItem[]): Promise<VueWrapper> {
  world = fakeWorld();
  setActivePinia(createPinia());
  world.routes.set('GET /api/inbox', page(items));
  const c = useConnectionStore();
  c.connect();
  world.main().serverConnect({ head: 0, cursor: 0 });
  const Blank = defineComponent({ template: '<div />' });
  router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/inbox', component: InboxPage },
      { path: '/chats/:id', component: Blank },
      { path: '/jobs', component: Blank },
    ],
  });
  await router.push('/inbox');
  wrapper = mount(InboxPage, { global: { plugins: [router] }, attachTo: document.body });
  await flush();
  return wrapper;
}

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

const press = async (key: string, target: EventTarget = document.body) => {
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
  await flush();
};
const selectedId = (w: VueWrapper) => w.find('[aria-current="true"]').attributes('data-id');

describe('the inbox page', () => {
  it('lists every item with what it needs: the command, the question form, the failed job', async () => {
    const w = await mountPage([job, approval, question]);
    const items = w.findAll('[data-testid="inbox-item"]');
    expect(items.map((i) => i.attributes('data-id'))).toEqual(['request:r1', 'request:q1', 'job:j1']);
    expect(items[0]!.find('[data-testid="inbox-command"]').text()).toBe('npm test');
    expect(items[0]!.findAll('button').map((b) => b.text())).toEqual([
      'Approve',
      'Decline',
      'Decline and stop the turn',
    ]);
    expect(items[1]!.text()).toContain('Which colour?');
    expect(items[2]!.text()).toContain('failed after 3 attempts');
    expect(items[2]!.findAll('button').map((b) => b.text())).toEqual(['Retry', 'Dismiss']);
    expect(items[0]!.find('a').attributes('href')).toBe('/chats/s1#request-r1');
    expect(items[2]!.find('a').attributes('href')).toBe('/jobs');
  });

  it('moves with j/k and arrows, approves with a, and goes on with the next item', async () => {
    const w = await mountPage([approval, question, job]);
    world.routes.set('POST /api/approvals/r1/decision', { status: 'resolved', request: {} });
    expect(selectedId(w)).toBe('request:r1');
    await press('j');
    expect(selectedId(w)).toBe('request:q1');
    await press('ArrowDown');
    await press('j');
    expect(selectedId(w)).toBe('job:j1');
    await press('k');
    await press('ArrowUp');
    expect(selectedId(w)).toBe('request:r1');
    await press('a');
    expect(world.calls.find((c) => c.method === 'POST')).toMatchObject({
      url: '/api/approvals/r1/decision',
      body: { decision: 'accept' },
    });
    expect(w.findAll('[data-testid="inbox-item"]')).toHaveLength(2);
    // The item that took its place is selected and focused.
    expect(selectedId(w)).toBe('request:q1');
    expect(document.activeElement?.getAttribute('data-id')).toBe('request:q1');
  });

  it('declines with d, retries with r, dismisses with x, and says why a key does not apply', async () => {
    const w = await mountPage([approval, job]);
    world.routes.set('POST /api/approvals/r1/decision', { status: 'resolved', request: {} });
    world.routes.set('POST /api/jobs/j1/retry', { job: { id: 'j1' } });
    await press('x');
    expect(w.find('[role="status"]').text()).toContain('cannot be dismissed');
    await press('d');
    expect(world.calls.at(-1)).toMatchObject({ body: { decision: 'decline' } });
    expect(selectedId(w)).toBe('job:j1');
    await press('r');
    expect(world.calls.at(-1)!.url).toBe('/api/jobs/j1/retry');
    expect(w.find('[data-testid="inbox-empty"]').exists()).toBe(true);
  });

  it('opens the chat of the selected item with Enter, and shows the keys with ?', async () => {
    const w = await mountPage([approval]);
    await press('?');
    const keys = w.find('[data-testid="inbox-keys"]');
    expect(keys.exists()).toBe(true);
    expect(keys.text()).toContain('Approve (approvals)');
    await press('Escape');
    expect(w.find('[data-testid="inbox-keys"]').exists()).toBe(false);
    await press('Enter');
    await flush();
    expect(router.currentRoute.value.fullPath).toBe('/chats/s1#request-r1');
  });

  it('leaves keys typed in a form field alone', async () => {
    const w = await mountPage([question, approval]);
    const radio = w.find('input[type="radio"]');
    await press('j', radio.element);
    await press('a', radio.element);
    expect(selectedId(w)).toBe('request:r1');
    expect(world.calls.filter((c) => c.method === 'POST')).toEqual([]);
  });

  it('leaves keys pressed with focus outside the page alone', async () => {
    const w = await mountPage([approval]);
    const outside = document.createElement('button');
    document.body.appendChild(outside);
    await press('a', outside);
    outside.remove();
    expect(world.calls.filter((c) => c.method === 'POST')).toEqual([]);
    expect(w.findAll('[data-testid="inbox-item"]')).toHaveLength(1);
  });

  it('answers a question in place', async () => {
    const w = await mountPage([question]);
    world.routes.set('POST /api/tool-input/q1/decision', { status: 'resolved', request: {} });
    await w.find('input[value="Blue"]').setValue(true);
    await w.find('form').trigger('submit');
    await flush();
    expect(world.calls.at(-1)).toMatchObject({ body: { answers: { color: ['Blue'] } } });
    expect(w.find('[data-testid="inbox-empty"]').exists()).toBe(true);
  });

  it('answers an unserved tool call as the tool, and dismisses a failed turn with its button', async () => {
    const tool = inboxItem({
      id: 'request:tc1',
      kind: 'toolCall',
      seq: 40,
      requestId: 'tc1',
      title: 'Tool call: lookup_ticket',
      detail: { tool: 'lookup_ticket', arguments: { id: 'T-42' } },
      actions: ['respond'],
    });
    const failed = inboxItem({
      id: 'turn:s1:t9',
      kind: 'failedTurn',
      seq: 5,
      requestId: null,
      turnId: 't9',
      title: 'Turn failed: model error',
      detail: { error: { message: 'stream disconnected' } },
      actions: ['dismiss'],
    });
    const w = await mountPage([tool, failed]);
    world.routes.set('POST /api/tool-calls/tc1/response', { status: 'resolved', request: {} });
    world.routes.set('POST /api/inbox/turn%3As1%3At9/dismiss', { id: failed.id, dismissed: true });
    const items = w.findAll('[data-testid="inbox-item"]');
    expect(items[0]!.text()).toContain('"id": "T-42"');
    expect(items[1]!.text()).toContain('stream disconnected');
    expect(items[1]!.find('a').attributes('href')).toBe('/chats/s1#turn-t9');
    await items[0]!.find('textarea').setValue('ticket T-42 is open');
    await items[0]!.find('form').trigger('submit');
    await flush();
    expect(world.calls.at(-1)).toMatchObject({
      url: '/api/tool-calls/tc1/response',
      body: { contentItems: [{ type: 'inputText', text: 'ticket T-42 is open' }], success: true },
    });
    await w
      .findAll('button')
      .find((b) => b.text() === 'Dismiss')!
      .trigger('click');
    await flush();
    expect(world.calls.at(-1)!.url).toBe('/api/inbox/turn%3As1%3At9/dismiss');
    expect(w.find('[data-testid="inbox-empty"]').exists()).toBe(true);
  });

  it('shows an item added from the stream and drops one removed elsewhere, with the counts', async () => {
    const w = await mountPage([approval]);
    const store = useInboxStore();
    world.main().serverEvents([
      {
        seq: 1,
        ts: '',
        type: 'inbox.added',
        threadId: 's1',
        source: 'gateway',
        data: { item: { ...question, seq: 1 } },
      },
    ]);
    await flush();
    expect(w.findAll('[data-testid="inbox-item"]')).toHaveLength(2);
    expect(w.find('[data-testid="inbox-total"]').text()).toBe('2 waiting');
    world.main().serverEvents([
      {
        seq: 2,
        ts: '',
        type: 'inbox.removed',
        threadId: 's1',
        source: 'gateway',
        data: { id: 'request:r1', kind: 'approval', reason: 'resolved', actor: 'bob', source: 'cli' },
      },
    ]);
    await flush();
    expect(w.findAll('[data-testid="inbox-item"]').map((i) => i.attributes('data-id'))).toEqual([
      'request:q1',
    ]);
    expect(store.counts.total).toBe(1);
  });
});

describe('triage keys', () => {
  it('maps keys to commands, except with modifiers, in fields, and Enter on a button', () => {
    expect(triageCommand({ key: 'j' })).toEqual({ type: 'move', by: 1 });
    expect(triageCommand({ key: 'a' })).toEqual({ type: 'decide', decision: 'accept' });
    expect(triageCommand({ key: 'a', ctrlKey: true })).toBeNull();
    expect(triageCommand({ key: 'j', target: document.createElement('textarea') })).toBeNull();
    expect(triageCommand({ key: 'Enter', target: document.createElement('button') })).toBeNull();
    expect(triageCommand({ key: 'q' })).toBeNull();
  });

  it('refuses commands that do not fit the item', () => {
    expect(refusal({ type: 'retry' }, approval)).toMatch(/failed jobs/);
    expect(refusal({ type: 'decide', decision: 'decline' }, job)).toMatch(/approvals/);
    const noAccept = inboxItem({ detail: { decisions: ['acceptForSession', 'decline'] } });
    expect(refusal({ type: 'decide', decision: 'accept' }, noAccept)).toMatch(/plain approve/);
    expect(refusal({ type: 'decide', decision: 'decline' }, noAccept)).toBeNull();
    expect(refusal({ type: 'open' }, undefined)).toBe('Nothing selected.');
  });

  it('keeps the selection on its item, else on the one now in its place', () => {
    expect(keepSelection(['a', 'b', 'c'], 'b', 1)).toBe('b');
    expect(keepSelection(['a', 'c'], 'b', 1)).toBe('c');
    expect(keepSelection(['a'], 'b', 1)).toBe('a');
    expect(keepSelection([], 'b', 1)).toBeNull();
  });
});
