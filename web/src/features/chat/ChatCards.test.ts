import { mount } from '@vue/test-utils';
import type { InteractiveRequest } from '../../api/types';
import ChatApprovalCard from './ChatApprovalCard.vue';
import ChatComposer from './ChatComposer.vue';
import ChatQuestionForm from './ChatQuestionForm.vue';

const request = (over: Partial<InteractiveRequest> = {}): InteractiveRequest => ({
  id: 'r1',
  kind: 'commandApproval',
  method: 'item/commandExecution/requestApproval',
  sessionId: 's1',
  turnId: 't1',
  itemId: 'c1',
  status: 'pending',
  params: { command: "/bin/bash -lc 'echo hi > out.txt'", cwd: '/work' },
  decisions: ['accept', 'acceptWithExecpolicyAmendment', 'decline', 'cancel'],
  decision: null,
  resolvedBy: null,
  resolvedAt: null,
  createdAt: '',
  ...over,
});

describe('the approval card', () => {
  it('shows the command and one button per offered decision, and emits the one clicked', async () => {
    const w = mount(ChatApprovalCard, { props: { request: request(), submitting: false } });
    expect(w.text()).toContain('echo hi > out.txt');
    expect(w.text()).toContain('Waiting for you');
    const labels = w.findAll('button').map((b) => b.text());
    expect(labels).toEqual(['Approve', 'Always allow this command', 'Decline', 'Decline and stop the turn']);
    await w.findAll('button')[0]!.trigger('click');
    expect(w.emitted('decide')).toEqual([['accept']]);
  });

  it('disables every button while a decision is on its way', () => {
    const w = mount(ChatApprovalCard, { props: { request: request(), submitting: true } });
    expect(w.findAll('button').every((b) => b.attributes('disabled') !== undefined)).toBe(true);
    expect(w.text()).toContain('Sending decision');
  });

  it('once resolved, says what was decided and by whom, and offers nothing', () => {
    const w = mount(ChatApprovalCard, {
      props: {
        request: request({
          status: 'resolved',
          decision: 'decline',
          resolvedBy: { actor: 'alice', source: 'cli' },
        }),
        submitting: false,
      },
    });
    expect(w.find('[data-testid="approval-outcome"]').text()).toBe('Declined by alice (cli)');
    expect(w.findAll('button')).toHaveLength(0);
  });
});

describe('the question form', () => {
  const question = request({
    id: 'q1',
    kind: 'userInput',
    itemId: null,
    decisions: null,
    params: {
      questions: [
        {
          id: 'color',
          header: 'Color',
          question: 'Which color should I use?',
          isOther: true,
          options: [
            { label: 'Red (Recommended)', description: 'Warm.' },
            { label: 'Blue', description: 'Cool.' },
          ],
        },
      ],
    },
  });

  it('is submittable only once every question has an answer, and sends answers by question id', async () => {
    const w = mount(ChatQuestionForm, { props: { request: question, submitting: false } });
    const submit = w.find('button[type="submit"]');
    expect(submit.attributes('disabled')).toBeDefined();
    await w.findAll('input[type="radio"]')[1]!.setValue(true);
    expect(submit.attributes('disabled')).toBeUndefined();
    await w.find('form').trigger('submit');
    expect(w.emitted('answer')).toEqual([[{ color: ['Blue'] }]]);
  });

  it('takes a free-text answer through Other', async () => {
    const w = mount(ChatQuestionForm, { props: { request: question, submitting: false } });
    await w.find('input[type="text"]').trigger('focus');
    await w.find('input[type="text"]').setValue('Teal');
    await w.find('form').trigger('submit');
    expect(w.emitted('answer')).toEqual([[{ color: ['Teal'] }]]);
  });

  it('shows the given answer once resolved', () => {
    const w = mount(ChatQuestionForm, {
      props: {
        request: {
          ...question,
          status: 'resolved',
          response: { answers: { color: { answers: ['Blue'] } } },
          resolvedBy: { actor: 'web', source: 'web' },
        },
        submitting: false,
      },
    });
    expect(w.find('form').exists()).toBe(false);
    expect(w.text()).toContain('Which color should I use? Blue');
    expect(w.text()).toContain('Answered by web');
  });
});

describe('the composer', () => {
  it('sends on Enter (not Shift+Enter) with the plan-mode choice, and clears once sent', async () => {
    const w = mount(ChatComposer, { props: { state: 'idle', interrupting: false, error: null } });
    const box = w.find('textarea');
    await box.setValue('hello');
    await box.trigger('keydown', { key: 'Enter', shiftKey: true });
    expect(w.emitted('send')).toBeUndefined();
    await w.find('[data-testid="plan-mode"]').setValue(true);
    await box.trigger('keydown', { key: 'Enter' });
    const [text, plan, done] = w.emitted('send')![0] as [string, boolean, (ok: boolean) => void];
    expect([text, plan]).toEqual(['hello', true]);
    done(true);
    await w.vm.$nextTick();
    expect((box.element as HTMLTextAreaElement).value).toBe('');
  });

  it('while a turn runs, steers instead of sending and offers Interrupt', async () => {
    const w = mount(ChatComposer, { props: { state: 'streaming', interrupting: false, error: null } });
    expect(w.find('[data-testid="send"]').text()).toBe('Steer');
    expect(w.find('[data-testid="chat-state"]').text()).toContain('Codex is replying');
    await w.find('textarea').setValue('focus on tests');
    await w.find('form').trigger('submit');
    expect((w.emitted('steer')![0] as unknown[])[0]).toBe('focus on tests');
    await w.find('[data-testid="interrupt"]').trigger('click');
    expect(w.emitted('interrupt')).toHaveLength(1);
  });
});
