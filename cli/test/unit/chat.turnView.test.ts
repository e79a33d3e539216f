import type { EventEnvelope } from '../../src/api/event-stream';
import { turnEnd } from '../../src/chat/conversation';
import { TurnView } from '../../src/chat/turn-view';
import { createStyle } from '../../src/output/style';
import { Capture } from '../helpers/run';

let seq = 0;
const ev = (
  type: string,
  params: Record<string, unknown>,
  extra: Partial<EventEnvelope> = {},
): EventEnvelope => ({
  seq: ++seq,
  ts: '2026-01-01T00:00:00.000Z',
  type,
  threadId: 't',
  turnId: 'u',
  source: 'runtime',
  data: { method: type, params },
  ...extra,
});

describe('TurnView', () => {
  it('puts only the reply on stdout and the activity on stderr, each on its own lines', () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const view = new TurnView({ stdout, stderr, style: createStyle(false), reasoning: true });
    const events = [
      ev('runtime.item.started', { item: { id: 'r', type: 'reasoning' } }),
      ev('runtime.item.reasoning.summaryTextDelta', { delta: 'Thinking' }),
      ev('runtime.item.completed', { item: { id: 'r', type: 'reasoning' } }),
      ev('runtime.item.started', { item: { id: 'c', type: 'commandExecution', command: 'ls' } }),
      ev('runtime.item.commandExecution.outputDelta', { delta: 'a.txt\n' }),
      ev('runtime.item.completed', {
        item: { id: 'c', type: 'commandExecution', status: 'completed', exitCode: 0 },
      }),
      ev('runtime.item.started', { item: { id: 'm', type: 'agentMessage' } }),
      ev('runtime.item.agentMessage.delta', { itemId: 'm', delta: 'Hello' }, { itemId: 'm' }),
      ev('runtime.item.agentMessage.delta', { itemId: 'm', delta: ' there.' }, { itemId: 'm' }),
      ev('runtime.item.completed', { item: { id: 'm', type: 'agentMessage', text: 'Hello there.' } }),
      ev('runtime.item.completed', { item: { id: 'm2', type: 'agentMessage', text: 'Whole reply.' } }),
      ev('runtime.error', { error: { message: 'upstream hiccup' }, willRetry: true }),
    ];
    for (const e of events) view.handle(e);
    view.finish();
    expect(stdout.text).toBe('Hello there.\nWhole reply.\n');
    expect(stderr.text).toBe(
      'thinking: Thinking\n$ ls\na.txt\n  done (exit 0)\nerror: upstream hiccup (retrying)\n',
    );
    expect(view.items.get('c')).toMatchObject({ status: 'completed' });
  });

  it('hides reasoning when asked to', () => {
    const stderr = new Capture();
    const view = new TurnView({ stdout: new Capture(), stderr, style: createStyle(false), reasoning: false });
    view.handle(ev('runtime.item.started', { item: { id: 'r', type: 'reasoning' } }));
    view.handle(ev('runtime.item.reasoning.summaryTextDelta', { delta: 'secret thoughts' }));
    view.finish();
    expect(stderr.text).toBe('');
  });
});

describe('turnEnd', () => {
  it('ends on the turn’s own turn/completed or on a manager turn.interrupted', () => {
    expect(
      turnEnd(ev('runtime.turn.completed', { turn: { id: 'other', status: 'completed' } }), 'u'),
    ).toBeNull();
    expect(
      turnEnd(
        ev('runtime.turn.completed', { turn: { id: 'u', status: 'failed', error: { message: 'HTTP 500' } } }),
        'u',
      ),
    ).toEqual({
      status: 'failed',
      error: 'HTTP 500',
    });
    expect(turnEnd({ ...ev('turn.interrupted', {}), data: { reason: 'runtime_exit' } }, 'u')).toEqual({
      status: 'interrupted',
      error: 'cut off (runtime_exit)',
    });
    expect(turnEnd(ev('runtime.item.completed', {}), 'u')).toBeNull();
  });
});
